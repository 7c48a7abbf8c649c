package io.carrycast.it;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.carrycast.app.CarrycastApplication;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.Topics;
import io.carrycast.topology.DeadLetterLog;
import io.carrycast.topology.DeadLetterRecords;
import io.carrycast.topology.DeadLetterReasonHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Poison pills on a real broker: events of 2 MB and 10 MB, and one with a 2 MB key (on an input topic that
 * allows them) end in the dead-letter topic cut to fit, and a dead letter the broker refuses is counted and skipped; in
 * both, every good event before and after, of the same key and of others, gets PyTorch's forecast.
 */
@ExtendWith(KafkaBroker.class)
class DeadLetterIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(120);
    private static final int TWO_MB = 2_000_000;
    private static final int TEN_MB = 10_000_000;
    /** Room for the 10 MB event on the input topic and in the test's producer. */
    private static final int LARGE_LIMIT = 12 * 1024 * 1024;

    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path tempDir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE})
    void shouldDeadLetterEventsOfAnySizeAndForecastEveryGoodEventAfterThem(String guarantee) throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        int half = events.size() / 2;
        String prefix = "large-" + guarantee.replace('_', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        String input = prefix + "-events";
        String output = prefix + "-forecasts";
        String deadLetter = prefix + "-dlq";
        createTopic(input, 2, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(LARGE_LIMIT)));
        createTopic(output, 2, Map.of());
        createTopic(deadLetter, 1, Map.of());
        byte[] twoMb = largeEvent(TWO_MB);
        byte[] tenMb = largeEvent(TEN_MB);
        String hugeKey = "k".repeat(TWO_MB);

        try (KafkaProducer<String, byte[]> producer = largeProducer()) {
            send(producer, input, events.subList(0, half));
            long after = events.get(half - 1).timeMs() + 1;
            producer.send(new ProducerRecord<>(input, null, after, "sensor-a", twoMb)).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(input, null, after, "sensor-b", tenMb)).get(30, TimeUnit.SECONDS);
            producer.send(new ProducerRecord<>(input, null, after, hugeKey, events.get(0).bytes())).get(30, TimeUnit.SECONDS);
            send(producer, input, events.subList(half, events.size()));
        }

        Map<String, List<Forecast>> forecasts;
        List<ConsumerRecord<String, byte[]>> deadLetters;
        String metrics;
        try (CarrycastApplication app = CarrycastApplication.start(config(fixture, guarantee, input, output, deadLetter))) {
            try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), output)) {
                reader.readUntil(events.size(), TIMEOUT);
                reader.readFor(Duration.ofSeconds(2));
                forecasts = reader.byKey();
            }
            deadLetters = readDeadLetters(deadLetter, 3);
            metrics = get("http://127.0.0.1:" + app.httpPort() + "/metrics");
            assertEquals(KafkaStreams.State.RUNNING, app.streams().state(), "the stream went on");
        }

        assertForecastsMatchPyTorch(fixture, forecasts);
        assertEquals(3, deadLetters.size(), "the three large events dead-lettered, once each");
        Map<String, byte[]> originals = Map.of("sensor-a", twoMb, "sensor-b", tenMb);
        for (String key : originals.keySet()) {
            byte[] original = originals.get(key);
            ConsumerRecord<String, byte[]> record = deadLetters.stream().filter(r -> r.key().equals(key)).findFirst()
                    .orElseThrow(() -> new AssertionError("no dead letter for " + key));
            assertEquals("too_large", header(record, DeadLetterReasonHandler.REASON_HEADER));
            assertEquals(String.valueOf(original.length), header(record, DeadLetterRecords.ORIGINAL_BYTES_HEADER));
            assertEquals("max.request.size", header(record, DeadLetterRecords.TRUNCATED_HEADER));
            assertTrue(record.value().length > 900_000 && record.value().length < 1024 * 1024,
                    "cut to what fits in 1 MB with its headers, found " + record.value().length);
            assertArrayEquals(Arrays.copyOf(original, record.value().length), record.value(), "the value's first bytes");
            assertEquals(input, header(record, "__streams.errors.topic"));
            assertTrue(header(record, "__streams.errors.message").contains("value " + original.length + ")"),
                    header(record, "__streams.errors.message"));
        }
        ConsumerRecord<String, byte[]> keyTooLarge = deadLetters.stream().filter(r -> r.key().startsWith("kkk"))
                .findFirst().orElseThrow(() -> new AssertionError("no dead letter for the 2 MB key"));
        assertEquals("too_large", header(keyTooLarge, DeadLetterReasonHandler.REASON_HEADER));
        assertEquals(String.valueOf(TWO_MB), header(keyTooLarge, DeadLetterRecords.ORIGINAL_KEY_BYTES_HEADER));
        assertNull(keyTooLarge.value(), "no room left for the value");
        assertTrue(keyTooLarge.key().length() > 900_000 && hugeKey.startsWith(keyTooLarge.key()),
                "the key cut to what fits, found " + keyTooLarge.key().length() + " chars");
        assertTrue(metrics.contains("carrycast_events_dead_lettered_total{reason=\"too_large\"} 3.0"), metrics);
        assertTrue(!metrics.contains("carrycast_records_dropped_total"), "no record was dropped");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE})
    void shouldCountAndLogADeadLetterTheBrokerRefusesAndGoOn(String guarantee) throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        int half = events.size() / 2;
        String prefix = "refused-" + guarantee.replace('_', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        String input = prefix + "-events";
        String output = prefix + "-forecasts";
        String deadLetter = prefix + "-dlq";
        createTopic(input, 2, Map.of());
        createTopic(output, 2, Map.of());
        // Smaller than any dead-letter record (its stack trace header alone is larger): the broker refuses each.
        createTopic(deadLetter, 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "512"));
        try (KafkaProducer<String, byte[]> producer = largeProducer()) {
            send(producer, input, events.subList(0, half));
            producer.send(new ProducerRecord<>(input, null, events.get(half - 1).timeMs() + 1, "sensor-a",
                    "{level: oops".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            send(producer, input, events.subList(half, events.size()));
        }
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(DeadLetterLog.class);
        lines.start();
        logger.addAppender(lines);

        Map<String, List<Forecast>> forecasts;
        String metrics;
        try (CarrycastApplication app = CarrycastApplication.start(config(fixture, guarantee, input, output, deadLetter))) {
            try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), output)) {
                reader.readUntil(events.size(), TIMEOUT);
                reader.readFor(Duration.ofSeconds(2));
                forecasts = reader.byKey();
            }
            metrics = awaitMetric("http://127.0.0.1:" + app.httpPort() + "/metrics", "carrycast_records_dropped_total");
            assertEquals(KafkaStreams.State.RUNNING, app.streams().state(), "the stream went on");
        } finally {
            logger.detachAppender(lines);
        }

        assertForecastsMatchPyTorch(fixture, forecasts);
        assertTrue(metrics.contains("carrycast_records_dropped_total{error=\"RecordTooLargeException\",topic=\""
                + deadLetter + "\"} 1.0"), metrics);
        assertTrue(metrics.contains("carrycast_events_dead_lettered_total{reason=\"not_json\"} 1.0"), metrics);
        assertTrue(readDeadLetters(deadLetter, 0).isEmpty());
        List<String> notWritten = lines.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(line -> line.contains(" not written to ")).toList();
        assertEquals(1, notWritten.size(), "one line for the one dead letter refused: " + notWritten);
        assertTrue(notWritten.get(0).matches("Dead letter of " + input + "-\\d@\\d+ key=sensor-a reason=not_json not "
                + "written to " + deadLetter + ": RecordTooLargeException: .*"), notWritten.get(0));
    }

    private static void assertForecastsMatchPyTorch(Fixture fixture, Map<String, List<Forecast>> forecasts) {
        assertEquals(fixture.keys().size(), forecasts.size());
        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            List<Forecast> forKey = forecasts.get(key);
            assertEquals(expected.size(), forKey.size(), key + ": one forecast per good event, none lost or repeated");
            for (int i = 0; i < expected.size(); i++) {
                assertEquals(i + 1, forKey.get(i).stepsSeen(), key + " event " + i);
                assertMatches(expected.get(i), forKey.get(i), fixture.card(), fixture.tolerance(), key + " event " + i);
            }
        }
    }

    /** A JSON object of {@code bytes} bytes: nothing wrong with it but its size. */
    private static byte[] largeEvent(int bytes) {
        String head = "{\"time\":\"2024-03-31T09:00:00Z\",\"level\":1,\"flow\":2,\"pressure\":3,\"note\":\"";
        String tail = "\"}";
        return (head + "x".repeat(bytes - head.length() - tail.length()) + tail).getBytes(StandardCharsets.UTF_8);
    }

    private static KafkaProducer<String, byte[]> largeProducer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.MAX_REQUEST_SIZE_CONFIG, LARGE_LIMIT,
                ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * LARGE_LIMIT), new StringSerializer(), new ByteArraySerializer());
    }

    private static void send(KafkaProducer<String, byte[]> producer, String topic, List<Fixture.Event> events)
            throws Exception {
        for (Fixture.Event event : events) {
            producer.send(new ProducerRecord<>(topic, null, event.timeMs(), event.key(), event.bytes()))
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private static void createTopic(String name, int partitions, Map<String, String> configs) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all()
                    .get(30, TimeUnit.SECONDS);
        }
    }

    private CarrycastConfig config(Fixture fixture, String guarantee, String input, String output, String deadLetter) {
        return new Topics(input, output, deadLetter).config(fixture.directory(), guarantee, tempDir.resolve("state"),
                "dead-letter-" + UUID.randomUUID());
    }

    /** The dead-letter topic's committed records, reading until {@code expected} arrived or a while passed. */
    private static List<ConsumerRecord<String, byte[]>> readDeadLetters(String topic, int expected) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "dead-letter-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(expected == 0 ? 3 : 60).toNanos();
            while (System.nanoTime() < deadline && records.size() <= expected) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                if (records.size() == expected && expected > 0) {
                    consumer.poll(Duration.ofSeconds(1)).forEach(records::add);
                    break;
                }
            }
        }
        return records;
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private String get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The metrics page once it shows {@code name}, or as it is after 30 s. */
    private String awaitMetric(String url, String name) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String page = get(url);
        while (!page.contains(name) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            page = get(url);
        }
        return page;
    }
}
