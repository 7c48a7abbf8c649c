package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.SingleInstanceReference;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.Topics;
import io.carrycast.testing.SyntheticEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** kill -9 mid-stream, restart: under exactly_once_v2 nothing is lost, repeated or stepped twice. */
@ExtendWith(KafkaBroker.class)
class CrashRecoveryIT {

    private static final int KEYS = 200;
    private static final int EVENTS_PER_KEY = 30;

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
            AppProcess first = AppProcess.start(tempDir, "first", settings);
            int beforeKill = reader.readUntil(events.size() / 3, Duration.ofSeconds(120));
            assertTrue(beforeKill < events.size(), "killed mid-stream\n" + first.log());
            first.kill();
            try (AppProcess second = AppProcess.start(tempDir, "second", settings)) {
                Map<String, List<Forecast>> distinct = new HashMap<>();
                long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
                while (distinctCount(reader, distinct) < events.size() && System.nanoTime() < deadline) {
                    reader.readUntil(reader.records().size() + 1, Duration.ofSeconds(1));
                }
                reader.readFor(Duration.ofSeconds(3));
                assertEquals(events.size(), distinctCount(reader, distinct), "no forecast lost\n" + second.log());
                SingleInstanceReference.assertMatches(fixture, events, distinct, tempDir.resolve("reference"));
            }
            assertRepeatsAreIdentical(fixture, reader);
        }
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
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "crash-" + UUID.randomUUID());
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, tempDir.resolve("state").toString());
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, fixture.directory().toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, topics.input());
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, topics.output());
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, topics.deadLetter());
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, 0);
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, 64);
        settings.put(CarrycastConfig.BATCH_MAX_WAIT_MS_CONFIG, 20);
        // Small polls slow the first instance down enough to be killed mid-stream on any machine.
        settings.put("consumer.max.poll.records", 50);
        // The killed instance's partitions move once the broker notices it is gone.
        settings.put("consumer.session.timeout.ms", 10_000);
        return settings;
    }
}
