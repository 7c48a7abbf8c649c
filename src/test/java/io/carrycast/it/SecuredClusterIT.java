package io.carrycast.it;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.CarrycastApplication;
import io.carrycast.KafkaAccessFailure;
import io.carrycast.broker.BrokerSecurity;
import io.carrycast.broker.EmbeddedKafkaBroker;
import io.carrycast.broker.TlsMaterial;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.config.RequiredAcls;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.SecuredKafkaBroker;
import io.carrycast.testing.TlsClients;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * carrycast on a cluster that enforces security: SASL/SCRAM-SHA-512 over TLS, ACLs, the broker its only super
 * user. Holding only {@link RequiredAcls}, the forecaster forecasts exactly as PyTorch does; each failure a
 * user meets first (a wrong password, a missing ACL, a trust store that does not trust the broker) ends
 * {@code carrycast run} with exit code 2 and one line naming what to fix. Secrets go in as environment
 * variables, as docs/security.md says, and come out in no log line, {@code /health} answer or metric.
 */
@ExtendWith(SecuredKafkaBroker.class)
class SecuredClusterIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    Path tempDir;

    @Test
    void shouldForecastExactlyWithOnlyTheRequiredAclsUnderExactlyOnceAndServeForecastsOnlyWithTheToken()
            throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        Tenant tenant = Tenant.create("eos");
        broker().grant(RequiredAcls.of(tenant.principal(), tenant.config(StreamsConfig.EXACTLY_ONCE_V2, tempDir)));
        KafkaIo.produce(broker().superUserSettings(), tenant.input, events);
        TlsMaterial httpTls = TlsMaterial.generate(tempDir, "http");
        String token = "token-" + TlsMaterial.randomSecret();
        Map<String, String> environment = new HashMap<>(tenant.secretEnvironment(tenant.password));
        environment.put("CARRYCAST_HTTP_TOKEN", token);
        environment.put("CARRYCAST_HTTP_SSL_KEYSTORE_PASSWORD", httpTls.keyStorePassword());
        environment.put("CARRYCAST_HTTP_SSL_TRUSTSTORE_PASSWORD", httpTls.trustStorePassword());
        List<String> secrets = List.of(tenant.password, broker().security().tls().trustStorePassword(), token,
                httpTls.keyStorePassword(), httpTls.trustStorePassword());
        List<Integer> ports = List.of(freePort(), freePort());
        HttpClient https = TlsClients.trusting(httpTls);

        List<AppProcess> instances = new ArrayList<>();
        try (ForecastReader reader = new ForecastReader(broker().superUserSettings(), tenant.output)) {
            for (int i = 0; i < ports.size(); i++) {
                Map<String, Object> settings = tenant.fileSettings(StreamsConfig.EXACTLY_ONCE_V2, tempDir.resolve("state-" + i));
                settings.put(CarrycastConfig.HTTP_PORT_CONFIG, ports.get(i));
                settings.put(CarrycastConfig.HTTP_SSL_KEYSTORE_LOCATION_CONFIG, httpTls.keyStore().toString());
                settings.put(CarrycastConfig.HTTP_SSL_TRUSTSTORE_LOCATION_CONFIG, httpTls.trustStore().toString());
                instances.add(AppProcess.run(tempDir, "instance-" + i, settings, environment, "INFO"));
            }
            // Two JVMs start, each loading the model and joining the group: allow more than for one.
            reader.readUntil(events.size(), TIMEOUT.multipliedBy(2));
            reader.readFor(Duration.ofSeconds(2));

            assertEquals(events.size(), reader.records().size(), "one forecast per event; log:\n" + instances.get(0).log());
            assertMatchesPyTorch(fixture, reader.byKey());
            String health = "";
            for (int port : ports) {
                health += awaitHealthy(https, port);
                for (String key : fixture.keys()) {
                    List<Forecast> forKey = reader.byKey().get(key);
                    // Of two instances, one owns the key and the other forwards the query to it: the owner too
                    // requires the token, so a 200 from both shows the forwarded query carried it.
                    HttpResponse<String> latest = awaitForecast(https, port, key, token);
                    assertEquals(forKey.get(forKey.size() - 1), ForecastJson.read(latest.body().getBytes(StandardCharsets.UTF_8)));
                    assertEquals(401, get(https, port, "/forecasts/" + key, null).statusCode());
                    assertEquals(401, get(https, port, "/forecasts/" + key, "Bearer wrong-" + token).statusCode());
                }
            }
            String metrics = get(https, ports.get(0), "/metrics", null).body();
            assertTrue(metrics.contains("carrycast_forecasts_out_total"), "/metrics is open to scrapers");
            assertNoSecretIn(health, secrets, "/health");
            assertNoSecretIn(metrics, secrets, "/metrics");
        } finally {
            instances.forEach(AppProcess::terminate);
            for (AppProcess instance : instances) {
                instance.close();
            }
        }
        for (AppProcess instance : instances) {
            String log = instance.log();
            assertTrue(log.contains("sasl.jaas.config = [hidden]"), "the scanned log holds Kafka's client settings:\n" + log);
            assertTrue(log.contains("bearer token required"));
            assertNoSecretIn(log, secrets, "the log");
        }
    }

    @Test
    void shouldForecastExactlyWithOnlyTheRequiredAclsUnderAtLeastOnceWithARepartitionTopic() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        events.forEach(event -> event.value().put("series", event.key()));
        Tenant tenant = Tenant.create("alos");
        Map<String, Object> settings = tenant.fileSettings(StreamsConfig.AT_LEAST_ONCE, tempDir.resolve("state"));
        settings.putAll(broker().clientSettings(tenant.user, tenant.password));
        settings.put(CarrycastConfig.KEY_FIELD_CONFIG, "series");
        settings.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, 100);
        CarrycastConfig config = CarrycastConfig.of(settings);
        broker().grant(RequiredAcls.of(tenant.principal(), config));
        KafkaIo.produce(broker().superUserSettings(), tenant.input, events);

        try (CarrycastApplication app = CarrycastApplication.start(config);
             ForecastReader reader = new ForecastReader(broker().superUserSettings(), tenant.output)) {
            reader.readUntil(events.size(), TIMEOUT);
            reader.readFor(Duration.ofSeconds(1));

            assertEquals(events.size(), reader.records().size());
            assertMatchesPyTorch(fixture, reader.byKey());
            assertTrue(awaitPurged(tenant.appId), "Delete on the prefix lets Kafka Streams purge the repartition topic");
        }
    }

    @Test
    void shouldStopWithOneLineNamingSaslJaasConfigWhenThePasswordIsWrong() throws Exception {
        Tenant tenant = Tenant.create("password");
        broker().grant(RequiredAcls.of(tenant.principal(), tenant.config(StreamsConfig.EXACTLY_ONCE_V2, tempDir)));
        String wrong = "wrong-" + tenant.password;

        AppProcess app = AppProcess.run(tempDir, "app", tenant.fileSettings(StreamsConfig.EXACTLY_ONCE_V2,
                tempDir.resolve("state")), tenant.secretEnvironment(wrong), "WARN");

        assertEquals(2, app.exitCode(TIMEOUT), app.log());
        assertLastLine("carrycast: Kafka at " + broker().bootstrapServers() + " refused the login of user '"
                + tenant.user + "' with SCRAM-SHA-512 (Authentication failed during authentication due to invalid "
                + "credentials with SASL mechanism SCRAM-SHA-512); check the user name and password in "
                + "sasl.jaas.config (or CARRYCAST_SASL_JAAS_CONFIG) and sasl.mechanism", app);
        assertNoSecretIn(app.log(), List.of(wrong, tenant.password), "the log");
    }

    @Test
    void shouldStopWithOneLineNamingTheReadAclWhenTheInputTopicIsNotReadable() {
        Tenant tenant = Tenant.create("noread");
        CarrycastConfig config = tenant.config(StreamsConfig.EXACTLY_ONCE_V2, tempDir);
        broker().grant(without(RequiredAcls.of(tenant.principal(), config), tenant.input, AclOperation.READ));
        KafkaIo.produce(broker().superUserSettings(), tenant.input, Fixture.load("lstm").interleavedEvents());

        String line = runUntilRefused(config);

        assertEquals("Kafka denied " + tenant.principal() + " access to topic '" + tenant.input
                + "' (carrycast.input.topic); allow it: kafka-acls.sh --bootstrap-server \"$KAFKA\" --command-config "
                + "admin.properties --add --allow-principal " + tenant.principal() + " --operation Read --topic "
                + tenant.input, line);
    }

    @Test
    void shouldStopWithOneLineNamingTheWriteAclWhenTheDeadLetterTopicIsNotWritableAndKeepTheEvent() {
        Tenant tenant = Tenant.create("nodlq");
        Map<String, Object> settings = tenant.fileSettings(StreamsConfig.EXACTLY_ONCE_V2, tempDir.resolve("state"));
        settings.putAll(broker().clientSettings(tenant.user, tenant.password));
        // The failed instance does not leave its group: the next run waits for its session to time out.
        settings.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        CarrycastConfig config = CarrycastConfig.of(settings);
        List<AclBinding> required = RequiredAcls.of(tenant.principal(), config);
        broker().grant(without(required, tenant.deadLetter, AclOperation.WRITE));
        KafkaIo.produce(broker().superUserSettings(), tenant.input, Fixture.load("lstm").interleavedEvents());
        KafkaIo.produceRaw(broker().superUserSettings(), tenant.input, "sensor-a", "not json".getBytes(StandardCharsets.UTF_8));

        String line = runUntilRefused(config);

        assertEquals("Kafka denied " + tenant.principal() + " access to topic '" + tenant.deadLetter
                + "' (carrycast.dead.letter.topic); allow it: kafka-acls.sh --bootstrap-server \"$KAFKA\" "
                + "--command-config admin.properties --add --allow-principal " + tenant.principal()
                + " --operation Write --topic " + tenant.deadLetter, line);
        // Given the ACL, the next run dead-letters the event that the first could not: it was never committed.
        broker().grant(required);
        try (CarrycastApplication again = CarrycastApplication.start(config)) {
            List<ConsumerRecord<String, byte[]>> deadLettered = KafkaIo.consume(broker().superUserSettings(),
                    tenant.deadLetter, 1, TIMEOUT);
            assertEquals(1, deadLettered.size());
            assertEquals("not json", new String(deadLettered.get(0).value(), StandardCharsets.UTF_8));
            assertEquals("not_json", new String(deadLettered.get(0).headers().lastHeader("carrycast.reason").value(),
                    StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldStopWithOneLineNamingTheTrustStoreWhenItDoesNotTrustTheBroker() {
        Tenant tenant = Tenant.create("trust");
        TlsMaterial stranger = TlsMaterial.generate(tempDir, "stranger");
        Map<String, Object> settings = tenant.fileSettings(StreamsConfig.EXACTLY_ONCE_V2, tempDir.resolve("state"));
        settings.put(SaslConfigs.SASL_JAAS_CONFIG, BrokerSecurity.scramLogin(tenant.user, tenant.password));
        settings.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, stranger.trustStore().toString());
        settings.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, stranger.trustStorePassword());

        String line = runUntilRefused(CarrycastConfig.of(settings));

        assertEquals("TLS handshake with Kafka at " + broker().bootstrapServers() + " failed: the broker's "
                + "certificate is not trusted by ssl.truststore.location=" + stranger.trustStore() + "; add the "
                + "certificate of the CA that signed it to that trust store", line);
    }

    /** An application's user, application id and topics on the shared broker, made fresh for each test. */
    private record Tenant(String user, String password, String appId, String input, String output, String deadLetter) {

        static Tenant create(String name) {
            String unique = name + "-" + UUID.randomUUID().toString().substring(0, 8);
            Tenant tenant = new Tenant("app-" + unique, TlsMaterial.randomSecret(), "secured-" + unique,
                    unique + "-events", unique + "-forecasts", unique + "-dead-letter");
            broker().createTopics(2, tenant.input, tenant.output, tenant.deadLetter);
            broker().createUser(tenant.user, tenant.password);
            return tenant;
        }

        String principal() {
            return "User:" + user;
        }

        /** What may stand in the properties file: everything but the secrets. */
        Map<String, Object> fileSettings(String guarantee, Path stateDir) {
            Map<String, Object> settings = new HashMap<>(broker().clientSettings(user, password));
            settings.remove(SaslConfigs.SASL_JAAS_CONFIG);
            settings.remove(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG);
            settings.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
            settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
            settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
            settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
            settings.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
            settings.put(CarrycastConfig.MODEL_DIR_CONFIG, Fixture.load("lstm").directory().toString());
            settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, input);
            settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, output);
            settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, deadLetter);
            settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
            settings.put(CarrycastConfig.HTTP_PORT_CONFIG, -1);
            return settings;
        }

        /** The secrets, as environment variables: the SCRAM login and the trust store's password. */
        Map<String, String> secretEnvironment(String loginPassword) {
            return Map.of("CARRYCAST_SASL_JAAS_CONFIG", BrokerSecurity.scramLogin(user, loginPassword),
                    "CARRYCAST_SSL_TRUSTSTORE_PASSWORD", broker().security().tls().trustStorePassword());
        }

        /** The whole configuration, for an instance run in this JVM. */
        CarrycastConfig config(String guarantee, Path dir) {
            Map<String, Object> settings = fileSettings(guarantee, dir.resolve("state-" + appId));
            settings.putAll(broker().clientSettings(user, password));
            return CarrycastConfig.of(settings);
        }
    }

    private static EmbeddedKafkaBroker broker() {
        return SecuredKafkaBroker.broker();
    }

    private static List<AclBinding> without(List<AclBinding> acls, String topic, AclOperation operation) {
        List<AclBinding> kept = acls.stream().filter(acl -> !(acl.pattern().name().equals(topic)
                && acl.entry().operation() == operation)).toList();
        assertEquals(acls.size() - 1, kept.size(), "exactly one ACL left out");
        return kept;
    }

    private static void assertMatchesPyTorch(Fixture fixture, Map<String, List<Forecast>> byKey) {
        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            assertEquals(expected.size(), byKey.get(key).size(), key);
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(i + 1, byKey.get(key).get(i).stepsSeen(), key + " event " + i);
                assertMatches(expected.get(i), byKey.get(key).get(i), fixture.card(), fixture.tolerance(), key + " event " + i);
            }
        }
    }

    /**
     * Runs the forecaster in this JVM until the cluster refuses it, as {@code carrycast run} does before it
     * prints the explanation and exits with 2 (shown end to end by the wrong-password test): a refused login
     * stops the start, while the cluster is first asked to describe itself; a missing ACL stops Kafka Streams
     * in ERROR. Fails on a hang, or when Streams keeps running.
     */
    private static String runUntilRefused(CarrycastConfig config) {
        CarrycastApplication app;
        try {
            app = CarrycastApplication.start(config);
        } catch (KafkaAccessFailure refusedAtStart) {
            return refusedAtStart.getMessage();
        }
        try (app) {
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (app.streams().state() != KafkaStreams.State.ERROR && System.nanoTime() < deadline) {
                sleep(100);
            }
            assertEquals(KafkaStreams.State.ERROR, app.streams().state(), "stopped, neither hanging nor retrying");
            return KafkaAccessFailure.explain(app.fatalError().orElseThrow(), config).orElseThrow().getMessage();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The run command's last words: one line, after Kafka's own log lines. */
    private static void assertLastLine(String expected, AppProcess app) {
        List<String> lines = app.lines();
        assertEquals(expected, lines.get(lines.size() - 1), app.log());
    }

    private static void assertNoSecretIn(String text, List<String> secrets, String where) {
        for (String secret : secrets) {
            assertFalse(text.contains(secret), where + " holds a secret (" + secret.length() + " characters)");
        }
    }

    /** Whether the application's repartition topic lost its first records to Kafka Streams' purge. */
    private static boolean awaitPurged(String appId) {
        try (Admin admin = Admin.create(broker().superUserSettings())) {
            String repartition = admin.listTopics().names().get().stream()
                    .filter(name -> name.startsWith(appId + "-") && name.endsWith("-repartition")).findFirst().orElseThrow();
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            admin.describeTopics(List.of(repartition)).allTopicNames().get().get(repartition).partitions()
                    .forEach(partition -> earliest.put(new TopicPartition(repartition, partition.partition()), OffsetSpec.earliest()));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                long purged = admin.listOffsets(earliest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
                if (purged > 0) {
                    return true;
                }
                sleep(200);
            }
            return false;
        } catch (ExecutionException | InterruptedException e) {
            throw new AssertionError("cannot read the repartition topic's offsets", e);
        }
    }

    private static String awaitHealthy(HttpClient client, int port) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            try {
                HttpResponse<String> health = get(client, port, "/health", null);
                if (health.statusCode() == 200 || System.nanoTime() > deadline) {
                    assertEquals(200, health.statusCode(), health.body());
                    return health.body();
                }
            } catch (IOException notListeningYet) {
                if (System.nanoTime() > deadline) {
                    throw notListeningYet;
                }
            }
            Thread.sleep(200);
        }
    }

    /** The key's latest forecast, waiting out 503s while a rebalance settles who owns the key. */
    private static HttpResponse<String> awaitForecast(HttpClient client, int port, String key, String token)
            throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        HttpResponse<String> answer = get(client, port, "/forecasts/" + key, "Bearer " + token);
        while (answer.statusCode() == 503 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            answer = get(client, port, "/forecasts/" + key, "Bearer " + token);
        }
        assertEquals(200, answer.statusCode(), answer.body());
        return answer;
    }

    private static HttpResponse<String> get(HttpClient client, int port, String path, String authorization)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }


    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
