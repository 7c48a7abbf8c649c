package io.carrycast.broker;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * The listeners of a secured embedded broker and the client settings that reach them.
 *
 * <ul>
 *   <li>{@code CLIENT}: SASL_SSL with SCRAM-SHA-512, for applications. Users are SCRAM credentials kept in
 *       the cluster's metadata (KRaft), created through the Admin API; the certificate is a fresh
 *       {@link TlsMaterial} for 127.0.0.1.</li>
 *   <li>{@code INTERNAL} (broker to itself: transaction markers) and {@code CONTROLLER}: SASL_PLAINTEXT with
 *       PLAIN on loopback, where the only user is the broker itself, with a random password made at each
 *       start. SCRAM cannot serve here: the controller would need its own metadata to check the login that
 *       loads that metadata.</li>
 * </ul>
 *
 * <p>The ACL authorizer is KRaft's {@code StandardAuthorizer}; the broker ({@code User:broker}) is the only
 * super user, and what no ACL allows is denied.
 */
public final class BrokerSecurity {

    public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";
    public static final String BROKER_PRINCIPAL = "User:broker";
    static final String CLIENT_LISTENER = "CLIENT";
    static final String INTERNAL_LISTENER = "INTERNAL";
    static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String BROKER_USER = "broker";
    private static final String PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";

    private final TlsMaterial tls;
    private final String brokerPassword;

    private BrokerSecurity(TlsMaterial tls, String brokerPassword) {
        this.tls = tls;
        this.brokerPassword = brokerPassword;
    }

    /** Makes the broker's TLS material in {@code dir} and its own random password. */
    static BrokerSecurity generate(Path dir) {
        return new BrokerSecurity(TlsMaterial.generate(dir, "broker"), TlsMaterial.randomSecret());
    }

    public TlsMaterial tls() {
        return tls;
    }

    /** Sets the listeners, their security and the authorizer on a broker's server properties. */
    void applyTo(Properties server, String host, int clientPort, int internalPort, int controllerPort) {
        server.put("listeners", CLIENT_LISTENER + "://" + host + ":" + clientPort + "," + INTERNAL_LISTENER + "://"
                + host + ":" + internalPort + "," + CONTROLLER_LISTENER + "://" + host + ":" + controllerPort);
        server.put("advertised.listeners", CLIENT_LISTENER + "://" + host + ":" + clientPort + ","
                + INTERNAL_LISTENER + "://" + host + ":" + internalPort);
        server.put("listener.security.protocol.map", CLIENT_LISTENER + ":SASL_SSL," + INTERNAL_LISTENER
                + ":SASL_PLAINTEXT," + CONTROLLER_LISTENER + ":SASL_PLAINTEXT");
        server.put("inter.broker.listener.name", INTERNAL_LISTENER);
        server.put("controller.listener.names", CONTROLLER_LISTENER);
        server.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        server.put("sasl.mechanism.controller.protocol", "PLAIN");
        String brokerLogin = PLAIN_MODULE + " required username=\"" + BROKER_USER + "\" password=\"" + brokerPassword
                + "\" user_" + BROKER_USER + "=\"" + brokerPassword + "\";";
        for (String listener : new String[] {INTERNAL_LISTENER, CONTROLLER_LISTENER}) {
            String prefix = "listener.name." + listener.toLowerCase(Locale.ROOT) + ".";
            server.put(prefix + "sasl.enabled.mechanisms", "PLAIN");
            server.put(prefix + "plain.sasl.jaas.config", brokerLogin);
        }
        String client = "listener.name." + CLIENT_LISTENER.toLowerCase(Locale.ROOT) + ".";
        server.put(client + "sasl.enabled.mechanisms", SCRAM_MECHANISM);
        server.put(client + SCRAM_MECHANISM.toLowerCase(Locale.ROOT) + ".sasl.jaas.config", SCRAM_MODULE + " required;");
        server.put(client + "ssl.keystore.location", tls.keyStore().toString());
        server.put(client + "ssl.keystore.password", tls.keyStorePassword());
        server.put(client + "ssl.key.password", tls.keyStorePassword());
        server.put(client + "ssl.keystore.type", TlsMaterial.STORE_TYPE);
        server.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        server.put("super.users", BROKER_PRINCIPAL);
        server.put("allow.everyone.if.no.acl.found", "false");
    }

    /** Client settings for a SCRAM user on the {@code CLIENT} listener, trusting this broker's certificate. */
    public Map<String, Object> clientSettings(String bootstrapServers, String user, String password) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        settings.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_SSL");
        settings.put(SaslConfigs.SASL_MECHANISM, SCRAM_MECHANISM);
        settings.put(SaslConfigs.SASL_JAAS_CONFIG, scramLogin(user, password));
        settings.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, tls.trustStore().toString());
        settings.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, tls.trustStorePassword());
        settings.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, TlsMaterial.STORE_TYPE);
        return settings;
    }

    /** The {@code sasl.jaas.config} value of a SCRAM user. */
    public static String scramLogin(String user, String password) {
        return SCRAM_MODULE + " required username=\"" + user + "\" password=\"" + password + "\";";
    }

    /** Settings of the broker's own (super user) identity on the loopback {@code INTERNAL} listener. */
    Map<String, Object> superUserSettings(String internalBootstrapServers) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, internalBootstrapServers);
        settings.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        settings.put(SaslConfigs.SASL_MECHANISM, "PLAIN");
        settings.put(SaslConfigs.SASL_JAAS_CONFIG, PLAIN_MODULE + " required username=\"" + BROKER_USER
                + "\" password=\"" + brokerPassword + "\";");
        return settings;
    }
}
