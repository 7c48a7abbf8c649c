package io.carrycast.cli;

import io.carrycast.CarrycastException;
import io.carrycast.broker.EmbeddedKafkaBroker;
import io.carrycast.broker.TlsMaterial;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.config.RequiredAcls;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.common.config.SslConfigs;

/**
 * What {@code carrycast broker --secure DIR} hands its user: the SCRAM user {@code carrycast} with the ACLs
 * the forecaster's configuration needs, and in {@code DIR} the broker's trust store and the settings to
 * reach it. Files holding a secret are readable by their owner only; no secret is printed.
 *
 * <ul>
 *   <li>{@code truststore.p12}: trusts the broker's certificate.</li>
 *   <li>{@code carrycast.env}: {@code CARRYCAST_*} variables for {@code carrycast run} (source it).</li>
 *   <li>{@code client.properties}: the same settings for other Kafka clients (kafka-console-consumer.sh ...).</li>
 *   <li>{@code admin.properties}: the broker's own super-user identity on its loopback listener, for
 *       {@code kafka-acls.sh --command-config}; valid until the broker stops.</li>
 * </ul>
 */
final class SecuredBrokerFiles {

    static final String USER = "carrycast";

    private SecuredBrokerFiles() {
    }

    static void write(EmbeddedKafkaBroker broker, Path dir, CarrycastConfig forecaster, PrintStream out) {
        try {
            Files.createDirectories(dir);
            Path trustStore = dir.resolve("truststore.p12");
            Files.copy(broker.security().tls().trustStore(), trustStore, StandardCopyOption.REPLACE_EXISTING);
            String password = TlsMaterial.randomSecret();
            broker.createUser(USER, password);
            broker.grant(RequiredAcls.of("User:" + USER, forecaster));
            Map<String, Object> client = new TreeMap<>(broker.clientSettings(USER, password));
            client.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, trustStore.toAbsolutePath().toString());
            writeProperties(dir.resolve("client.properties"), client);
            writeEnvironment(dir.resolve("carrycast.env"), client);
            writeProperties(dir.resolve("admin.properties"), broker.superUserSettings());
            out.println("SASL_SSL (SCRAM-SHA-512) with ACLs. User '" + USER + "' may run the forecaster configured by "
                    + "the file given to --grant (application.id " + RequiredAcls.applicationId(forecaster) + ", "
                    + (RequiredAcls.isExactlyOnce(forecaster) ? "exactly_once_v2" : "at_least_once") + ").");
            out.println("Settings in " + dir.toAbsolutePath() + ": carrycast.env (set -a; . carrycast.env), "
                    + "client.properties, admin.properties (super user at "
                    + broker.superUserSettings().get("bootstrap.servers") + "), truststore.p12.");
        } catch (IOException e) {
            throw new CarrycastException("cannot write the secured broker's settings to " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writeProperties(Path file, Map<String, Object> settings) throws IOException {
        Properties properties = new Properties();
        settings.forEach((name, value) -> properties.setProperty(name, String.valueOf(value)));
        try (Writer writer = ownerOnly(file)) {
            properties.store(writer, "carrycast broker --secure: secrets inside, keep private");
        }
    }

    /** {@code CARRYCAST_SASL_JAAS_CONFIG='...'}: the names {@code carrycast run} maps back to Kafka settings. */
    private static void writeEnvironment(Path file, Map<String, Object> settings) throws IOException {
        try (Writer writer = ownerOnly(file)) {
            writer.write("# carrycast broker --secure: secrets inside, keep private. Use: set -a; . " + file.getFileName() + "\n");
            for (Map.Entry<String, Object> setting : settings.entrySet()) {
                String variable = "CARRYCAST_" + setting.getKey().toUpperCase(Locale.ROOT).replace('.', '_');
                writer.write(variable + "='" + setting.getValue() + "'\n");
            }
        }
    }

    private static Writer ownerOnly(Path file) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException notPosix) {
            Files.createFile(file);
        }
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    }
}
