package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.InstanceHttp;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.LateArrivals;
import io.carrycast.testing.Meters;
import io.carrycast.testing.SingleInstanceReference;
import io.carrycast.testing.SyntheticEvents;
import io.carrycast.testing.Topics;
import io.carrycast.topology.ForecastTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 mid-stream, restart: under exactly_once_v2 nothing is lost, repeated or stepped twice. */
@ExtendWith(KafkaBroker.class)
class CrashRecoveryIT {

    private static final int KEYS = 200;
    private static final int EVENTS_PER_KEY = 30;
    private static final long MINUTE = 60_000L;

    @TempDir
    Path tempDir;

    @Test
    void shouldNeitherLoseNorRepeatForecastsWhenKilledMidStreamUnderExactlyOnce() throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(KEYS, EVENTS_PER_KEY, 11);
        Topics topics = Topics.create("crash-eos", 4);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
        Map<String, Object> settings = settings(fixture, topics, StreamsConfig.EXACTLY_ONCE_V2);

        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            AppProcess first = AppProcess.start(tempDir, "first", settings);
            int beforeKill = reader.readUntil(events.size() / 3, Duration.ofSeconds(120));
            assertTrue(beforeKill >= events.size() / 3 && beforeKill < events.size(),
                    "killed mid-stream, after " + beforeKill + " forecasts\n" + first.log());
            first.kill();

            try (AppProcess second = AppProcess.start(tempDir, "second", settings)) {
                reader.readUntil(events.size(), Duration.ofSeconds(150));
                reader.readFor(Duration.ofSeconds(3));
                assertEquals(events.size(), reader.records().size(), "one forecast per event\n" + second.log());
            }
            SingleInstanceReference.assertMatches(fixture, events, reader.byKey(), tempDir.resolve("reference"));
        }
    }

    @Test
    void shouldLoseNoForecastAndNeverDriftWhenKilledMidStreamUnderAtLeastOnce() throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(KEYS, EVENTS_PER_KEY, 13);
        Topics topics = Topics.create("crash-alos", 4);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
        Map<String, Object> settings = settings(fixture, topics, StreamsConfig.AT_LEAST_ONCE);
        settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);

        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            // Kafka's INFO lines (restoration, task states) say what the instances did when a check fails.
            AppProcess first = AppProcess.run(tempDir, "first", settings, Map.of(), "INFO");
            int beforeKill = reader.readUntil(events.size() / 3, Duration.ofSeconds(120));
            assertTrue(beforeKill < events.size(), "killed mid-stream\n" + first.log());
            first.kill();
            try (AppProcess second = AppProcess.run(tempDir, "second", settings, Map.of(), "INFO")) {
                Map<String, List<Forecast>> distinct = new HashMap<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
                while (distinctCount(reader, distinct) < events.size() && System.nanoTime() < deadline) {
                    reader.readUntil(reader.records().size() + 1, Duration.ofSeconds(1));
                }
                reader.readFor(Duration.ofSeconds(3));
                assertEquals(events.size(), distinctCount(reader, distinct), "no forecast lost\n" + second.log());
                try {
                    SingleInstanceReference.assertMatches(fixture, events, distinct, tempDir.resolve("reference"));
                    assertRepeatsAreIdentical(fixture, reader);
                } catch (AssertionError failed) {
                    throw new AssertionError(failed.getMessage() + "\n"
                            + whatHappened(failed.getMessage(), reader, beforeKill, first, second), failed);
                }
            }
        }
    }

    /**
     * For a failed check: the forecasts of the key the failure names, as read (before or after the kill, where
     * from, event time, steps seen), and the instances' restoration, task-state and warning lines.
     */
    private static String whatHappened(String failure, ForecastReader reader, int readBeforeKill, AppProcess first,
                                       AppProcess second) {
        StringBuilder text = new StringBuilder("forecasts read before the kill: " + readBeforeKill + "\n");
        var records = reader.records();
        String key = records.stream().map(r -> r.key()).filter(failure::contains).findFirst().orElse(null);
        for (int i = 0; i < records.size(); i++) {
            var record = records.get(i);
            if (record.key().equals(key)) {
                text.append(i < readBeforeKill ? "  before kill " : "  after kill  ").append(record.partition())
                        .append('@').append(record.offset()).append(' ').append(record.value().eventTimeMs())
                        .append(" steps ").append(record.value().stepsSeen()).append('\n');
            }
        }
        for (AppProcess instance : List.of(first, second)) {
            text.append(instance == first ? "first" : "second").append(" instance:\n");
            instance.lines().stream().filter(line -> line.contains("WARN") || line.contains("ERROR")
                    || line.contains("estor") || line.contains("orrupt") || line.contains("State transition")
                    || line.contains("checkpoint")).limit(400).forEach(line -> text.append("  ").append(line).append('\n'));
        }
        return text.toString();
    }

    /**
     * Events up to 5 minutes late with 10 minutes allowed: every correction (state, history, revised forecasts)
     * commits with its input offset, so the restarted instance publishes what an uncrashed run does, each
     * revision once, and ends with the same latest forecast per key (the latest-forecast store, over HTTP).
     */
    @Test
    void shouldGiveAnUncrashedRunsCorrectionsWhenKilledMidStreamWithLateEvents() throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = LateArrivals.delayed(SyntheticEvents.levelFlowPressure(KEYS, EVENTS_PER_KEY, 17),
                5 * MINUTE, 17);
        Topics topics = Topics.create("crash-late", 4);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
        Map<String, Object> settings = settings(fixture, topics, StreamsConfig.EXACTLY_ONCE_V2);
        settings.put(CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, 10 * MINUTE);
        int httpPort = InstanceHttp.freePort();
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, httpPort);

        // The uncrashed run: the same records through the topology in one go.
        List<Forecast> expected;
        Map<String, Forecast> expectedLatest = new HashMap<>();
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), tempDir.resolve("reference"), Map.of(
                CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, String.valueOf(10 * MINUTE),
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, "1", CarrycastConfig.HTTP_PORT_CONFIG, "0"))) {
            driver.send(events);
            expected = Forecasts.values(driver.forecasts());
            assertTrue(Meters.count(driver.registry(), "carrycast.corrections.replayed") > KEYS, "late events among them");
            try (KeyValueIterator<String, byte[]> latest = driver.driver()
                    .<String, byte[]>getKeyValueStore(ForecastTopology.LATEST_STORE).all()) {
                while (latest.hasNext()) {
                    KeyValue<String, byte[]> entry = latest.next();
                    expectedLatest.put(entry.key, ForecastJson.read(entry.value));
                }
            }
        }

        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            AppProcess first = AppProcess.start(tempDir, "first", settings);
            int beforeKill = reader.readUntil(expected.size() / 3, Duration.ofSeconds(120));
            assertTrue(beforeKill >= expected.size() / 3 && beforeKill < expected.size(),
                    "killed mid-stream, after " + beforeKill + " forecasts\n" + first.log());
            first.kill();

            try (AppProcess second = AppProcess.start(tempDir, "second", settings)) {
                reader.readUntil(expected.size(), Duration.ofSeconds(150));
                reader.readFor(Duration.ofSeconds(3));
                assertEquals(expected.size(), reader.records().size(), "each forecast and revision once\n" + second.log());
                assertSameRevisions(fixture, expected, reader.records().stream().map(r -> r.value()).toList());
                for (Map.Entry<String, Forecast> latest : expectedLatest.entrySet()) {
                    var answer = InstanceHttp.get(httpPort, "/forecasts/" + latest.getKey());
                    assertEquals(200, answer.statusCode(), latest.getKey());
                    assertSameForecast(fixture, latest.getValue(), ForecastJson.read(answer.body()
                            .getBytes(java.nio.charset.StandardCharsets.UTF_8)), "latest of " + latest.getKey());
                }
            }
        }
    }

    /** The same forecasts, revision by revision, whatever order the partitions' records were read in. */
    private static void assertSameRevisions(Fixture fixture, List<Forecast> expected, List<Forecast> actual) {
        Map<String, Forecast> byRevision = new HashMap<>();
        actual.forEach(f -> assertEquals(null, byRevision.put(f.key() + "@" + f.eventTimeMs() + "#" + f.revision(), f),
                "published once: " + f.key() + "@" + f.eventTimeMs() + "#" + f.revision()));
        for (Forecast want : expected) {
            String id = want.key() + "@" + want.eventTimeMs() + "#" + want.revision();
            Forecast got = byRevision.get(id);
            assertTrue(got != null, "missing " + id);
            assertSameForecast(fixture, want, got, id);
        }
    }

    private static void assertSameForecast(Fixture fixture, Forecast want, Forecast got, String where) {
        assertEquals(want.eventTimeMs(), got.eventTimeMs(), where);
        assertEquals(want.revision(), got.revision(), where);
        assertEquals(want.stepsSeen(), got.stepsSeen(), where);
        ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(want, fixture.card()), got, fixture.card(),
                SingleInstanceReference.ACROSS_BATCHES_TOLERANCE, where);
    }

    /** Forecasts by key with repeats of the same event removed; returns how many distinct ones there are. */
    private static int distinctCount(ForecastReader reader, Map<String, List<Forecast>> distinct) {
        distinct.clear();
        Map<String, java.util.Set<Long>> seen = new HashMap<>();
        int count = 0;
        for (var record : reader.records()) {
            if (seen.computeIfAbsent(record.key(), k -> new java.util.HashSet<>()).add(record.value().eventTimeMs())) {
                distinct.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
                count++;
            }
        }
        distinct.values().forEach(list -> list.sort(java.util.Comparator.comparingLong(Forecast::eventTimeMs)));
        return count;
    }

    /** A repeated forecast (an event read again after the crash) was stepped from the same state. */
    private static void assertRepeatsAreIdentical(Fixture fixture, ForecastReader reader) {
        Map<String, Forecast> first = new HashMap<>();
        for (var record : reader.records()) {
            String where = "repeat of " + record.key() + " at " + record.value().eventTimeMs();
            Forecast previous = first.putIfAbsent(record.key() + "@" + record.value().eventTimeMs(), record.value());
            if (previous != null) {
                assertEquals(previous.stepsSeen(), record.value().stepsSeen(), where);
                ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(previous, fixture.card()),
                        record.value(), fixture.card(), SingleInstanceReference.ACROSS_BATCHES_TOLERANCE, where);
            }
        }
    }

    private Map<String, Object> settings(Fixture fixture, Topics topics, String guarantee) {
        Map<String, Object> settings = topics.settings(fixture.directory(), tempDir.resolve("state"),
                "crash-" + UUID.randomUUID());
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, 64);
        settings.put(CarrycastConfig.BATCH_MAX_WAIT_MS_CONFIG, 20);
        // Small polls slow the first instance down enough to be killed mid-stream on any machine.
        settings.put("consumer.max.poll.records", 50);
        // The killed instance's partitions move once the broker notices it is gone.
        settings.put("consumer.session.timeout.ms", 10_000);
        return settings;
    }
}
