package io.carrycast.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLHandshakeException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/** Kafka's refusals, each told as one line naming the setting or the ACL to fix. */
class KafkaAccessFailureTest {

    private static final String PASSWORD = "pw-never-shown";
    private static final String GRANT = "kafka-acls.sh --bootstrap-server \"$KAFKA\" --command-config admin.properties "
            + "--add --allow-principal User:fc";
    private final CarrycastConfig config = config(Map.of());

    @Test
    void shouldNameTheUserAndSaslJaasConfigWhenTheLoginIsRefused() {
        SaslAuthenticationException refused = new SaslAuthenticationException("Authentication failed during "
                + "authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512");

        assertEquals("Kafka at kafka:9093 refused the login of user 'fc' with SCRAM-SHA-512 (Authentication failed "
                + "during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512); check the user "
                + "name and password in sasl.jaas.config (or CARRYCAST_SASL_JAAS_CONFIG) and sasl.mechanism",
                message(new StreamsException("thread died", refused)));
    }

    @Test
    void shouldNameTheTrustStoreWhenTheBrokersCertificateIsNotTrusted() {
        SslAuthenticationException handshake = new SslAuthenticationException("SSL handshake failed",
                new SSLHandshakeException("PKIX path building failed"));
        handshake.getCause().initCause(new CertPathBuilderException("unable to find valid certification path to requested target"));

        assertEquals("TLS handshake with Kafka at kafka:9093 failed: the broker's certificate is not trusted by "
                + "ssl.truststore.location=/etc/kafka/truststore.p12; add the certificate of the CA that signed it to "
                + "that trust store", message(handshake));
        assertEquals("TLS handshake with Kafka at kafka:9093 failed: the broker's certificate is not trusted by the "
                + "JVM's default trust store (ssl.truststore.location is not set); add the certificate of the CA that "
                + "signed it to that trust store",
                KafkaAccessFailure.explain(handshake, config(Map.of(), true)).orElseThrow().getMessage());
    }

    @Test
    void shouldCallACertificateSignedByAnotherKeyUnderATrustedNameUntrusted() {
        SslAuthenticationException handshake = new SslAuthenticationException("SSL handshake failed",
                new SSLHandshakeException("Signature does not match."));
        handshake.getCause().initCause(new CertPathValidatorException("Signature does not match."));

        assertEquals("TLS handshake with Kafka at kafka:9093 failed: the broker's certificate is not trusted by "
                + "ssl.truststore.location=/etc/kafka/truststore.p12; add the certificate of the CA that signed it to "
                + "that trust store", message(handshake));
    }

    @Test
    void shouldSayWhenTheCertificateDoesNotNameTheBrokersHost() {
        SslAuthenticationException handshake = new SslAuthenticationException("SSL handshake failed",
                new SSLHandshakeException("No subject alternative names matching IP address 10.0.0.7 found"));
        handshake.getCause().initCause(new CertificateException("No subject alternative names matching IP address 10.0.0.7 found"));

        assertEquals("TLS handshake with Kafka at kafka:9093 failed: the broker's certificate does not name the host in "
                + "bootstrap.servers (No subject alternative names matching IP address 10.0.0.7 found); connect by a name "
                + "the certificate holds, or have the certificate reissued with it", message(handshake));
    }

    @Test
    void shouldNameTheAclForEachOfCarrycastsTopics() {
        assertEquals("Kafka denied User:fc access to topic 'in' (carrycast.input.topic); allow it: " + GRANT
                + " --operation Read --topic in", message(new TopicAuthorizationException(Set.of("in"))));
        assertEquals("Kafka denied User:fc access to topic 'dlq' (carrycast.dead.letter.topic); allow it: " + GRANT
                + " --operation Write --topic dlq", message(new StreamsException("Error encountered sending record",
                new TopicAuthorizationException(Set.of("dlq")))));
        assertEquals("Kafka denied User:fc access to topic 'fc-app-carrycast-state-changelog' (a Kafka Streams internal "
                + "topic); allow it: " + GRANT + " --operation Create --operation Read --operation Write --topic fc-app- "
                + "--resource-pattern-type prefixed",
                message(new TopicAuthorizationException(Set.of("fc-app-carrycast-state-changelog"))));
    }

    @Test
    void shouldNameThePrefixGrantWhenTheDeadLetterTopicIsUnderTheApplicationIdPrefix() {
        CarrycastConfig underPrefix = config(Map.of("application.id", "carrycast",
                "carrycast.dead.letter.topic", "carrycast-dead-letter"));

        assertEquals("Kafka denied User:fc access to topic 'carrycast-dead-letter' (carrycast.dead.letter.topic); "
                + "allow it: " + GRANT + " --operation Create --operation Read --operation Write --topic carrycast- "
                + "--resource-pattern-type prefixed", KafkaAccessFailure.explain(new TopicAuthorizationException(
                        Set.of("carrycast-dead-letter")), underPrefix).orElseThrow().getMessage());
    }

    @Test
    void shouldFindTheTopicOfARefusedCreationInKafkaStreamsMessage() {
        StreamsException creation = new StreamsException("Could not create topic fc-app-carrycast-window-changelog.",
                new TopicAuthorizationException("Authorization failed."));

        assertEquals("Kafka denied User:fc access to topic 'fc-app-carrycast-window-changelog' (a Kafka Streams internal "
                + "topic); allow it: " + GRANT + " --operation Create --operation Read --operation Write --topic fc-app- "
                + "--resource-pattern-type prefixed", message(creation));
    }

    @Test
    void shouldNameTheGroupAndTheTransactionalIdPrefix() {
        assertEquals("Kafka denied User:fc the consumer group 'fc-app' (application.id); allow it: " + GRANT
                + " --operation Read --group fc-app", message(new GroupAuthorizationException("denied", "fc-app")));
        assertEquals("Kafka denied User:fc its transactional ids (processing.guarantee=exactly_once_v2 uses ids prefixed "
                + "'fc-app'); allow them: " + GRANT + " --operation Write --transactional-id fc-app "
                + "--resource-pattern-type prefixed", message(new StreamsException("init failed",
                new TransactionalIdAuthorizationException("Transactional Id authorization failed."))));
    }

    @Test
    void shouldLeaveOtherErrorsAlone() {
        assertEquals(Optional.empty(), KafkaAccessFailure.explain(new StreamsException("disk full"), config));
    }

    @Test
    void shouldNeverShowThePassword() {
        String line = message(new SaslAuthenticationException("Authentication failed"));

        assertFalse(line.contains(PASSWORD));
        assertTrue(line.contains("'fc'"));
    }

    private String message(Throwable error) {
        return KafkaAccessFailure.explain(error, config).orElseThrow().getMessage();
    }

    private static CarrycastConfig config(Map<String, String> more) {
        return config(more, false);
    }

    private static CarrycastConfig config(Map<String, String> more, boolean withoutTrustStore) {
        Map<String, Object> settings = new HashMap<>(Map.of("carrycast.model.dir", "models/x",
                "bootstrap.servers", "kafka:9093", "application.id", "fc-app", "processing.guarantee", "exactly_once_v2",
                "security.protocol", "SASL_SSL", "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"fc\" "
                        + "password=\"" + PASSWORD + "\";"));
        if (!withoutTrustStore) {
            settings.put("ssl.truststore.location", "/etc/kafka/truststore.p12");
        }
        settings.put("carrycast.input.topic", "in");
        settings.put("carrycast.output.topic", "out");
        settings.put("carrycast.dead.letter.topic", "dlq");
        settings.putAll(more);
        return CarrycastConfig.of(settings);
    }
}
