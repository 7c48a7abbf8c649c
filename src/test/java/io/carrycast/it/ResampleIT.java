package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.app.CarrycastApplication;
import io.carrycast.backtest.Backtest;
import io.carrycast.backtest.Evaluation;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.LateArrivals;
import io.carrycast.testing.SingleInstanceReference;
import io.carrycast.testing.SyntheticEvents;
import io.carrycast.testing.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resampling on the real broker: stream-time closing of a quiet key's bucket, and kill -9 under exactly-once,
 * with events in order and with late events revising stepped buckets.
 */
@ExtendWith(KafkaBroker.class)
class ResampleIT {

    private static final long HOUR = 3_600_000L;
    private static final int PARTITIONS = 4;

    @TempDir
    Path tempDir;

    @Test
    void shouldStepAQuietKeysBucketOnceTheStreamTimeOfItsPartitionPassesItsEndAndTheGrace() {
        Fixture fixture = Fixture.load("resample_carry");
        Topics topics = Topics.create("resample-quiet", 1);
        long bucketStart = Instant.parse("2024-03-30T14:30:00Z").toEpochMilli(); // 20:00 in Kolkata
        long grace = 60_000L;
        List<Fixture.Event> events = List.of(reading("quiet", bucketStart + 60_000), reading("quiet", bucketStart + 120_000),
                reading("busy", bucketStart + HOUR + grace + 1_000));
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);

        List<ConsumerRecord<String, Forecast>> records;
        try (CarrycastApplication app = CarrycastApplication.start(topics.config(fixture.directory(),
                StreamsConfig.EXACTLY_ONCE_V2, tempDir.resolve("state"), "app-" + UUID.randomUUID(),
                Map.of(CarrycastConfig.RESAMPLE_GRACE_MS_CONFIG, grace)))) {
            records = ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), 1, Duration.ofSeconds(90),
                    Duration.ofSeconds(3));
        }

        assertEquals(1, records.size(), "only the quiet key's bucket has ended; busy's is open");
        Forecast forecast = records.get(0).value();
        assertEquals("quiet", forecast.key());
        assertEquals(bucketStart, forecast.eventTimeMs());
        assertEquals(bucketStart, records.get(0).timestamp());
        assertEquals(new Forecast.Bucket(2, 0), forecast.bucket());
    }

    @Test
    void shouldGiveAnUncrashedRunsForecastsWhenKilledMidStreamUnderExactlyOnce() throws Exception {
        Fixture fixture = Fixture.load("resample_carry");
        List<Fixture.Event> events = SyntheticEvents.irregularReadings(150, 24, 17);
        Topics topics = Topics.create("resample-crash", PARTITIONS);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
        // A last event per partition a day later: stream time passes every key's last bucket.
        long later = events.get(events.size() - 1).timeMs() + 24 * HOUR;
        produceToEachPartition(topics.input(), later);
        Map<String, List<Forecast>> expected = uncrashed(fixture, events);
        int total = expected.values().stream().mapToInt(List::size).sum();

        Map<String, Object> settings = settings(fixture, topics);
        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            AppProcess first = AppProcess.start(tempDir, "first", settings);
            int beforeKill = reader.readUntil(total / 3, Duration.ofSeconds(120));
            assertTrue(beforeKill >= total / 3 && beforeKill < total,
                    "killed mid-stream, after " + beforeKill + " of " + total + " forecasts\n" + first.log());
            first.kill();
            try (AppProcess second = AppProcess.start(tempDir, "second", settings)) {
                reader.readUntil(total, Duration.ofSeconds(150));
                reader.readFor(Duration.ofSeconds(3));
                assertEquals(total, reader.records().size(), "one forecast per bucket\n" + second.log());
            }
            Map<String, List<Forecast>> actual = reader.byKey();
            assertEquals(expected.keySet(), actual.keySet());
            for (String key : expected.keySet()) {
                List<Forecast> want = expected.get(key);
                List<Forecast> got = actual.get(key);
                assertEquals(want.size(), got.size(), key);
                for (int i = 0; i < want.size(); i++) {
                    String where = key + " bucket " + i;
                    assertEquals(want.get(i).eventTimeMs(), got.get(i).eventTimeMs(), where);
                    assertEquals(want.get(i).stepsSeen(), got.get(i).stepsSeen(), where);
                    assertEquals(want.get(i).bucket(), got.get(i).bucket(), where);
                    ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(want.get(i), fixture.card()),
                            got.get(i), fixture.card(), SingleInstanceReference.ACROSS_BATCHES_TOLERANCE, where);
                }
            }
        }
    }

    /**
     * Events held back up to two and a half hours, with three hours' lateness allowed, so that many revise
     * buckets already stepped: after a kill -9 mid-stream, every bucket's latest revision equals the uncrashed
     * run's, and no revision of a bucket's forecast is published twice.
     */
    @Test
    void shouldEndWithTheUncrashedRunsRevisionsWhenKilledMidStreamWithLateEventsUnderExactlyOnce() throws Exception {
        Fixture fixture = Fixture.load("resample_carry");
        List<Fixture.Event> arrivals = LateArrivals.delayed(SyntheticEvents.irregularReadings(150, 24, 23),
                150 * 60_000L, 5);
        assertTrue(LateArrivals.lateCount(arrivals) > arrivals.size() / 4, "enough late events");
        Topics topics = Topics.create("resample-late-crash", PARTITIONS);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), arrivals);
        long later = arrivals.stream().mapToLong(Fixture.Event::timeMs).max().orElseThrow() + 24 * HOUR;
        produceToEachPartition(topics.input(), later);
        long lateness = 3 * HOUR;
        Map<String, TreeMap<Long, Forecast>> expected = LateArrivals.latestRevisions(
                uncrashed(fixture, arrivals, new LateEvents.Bound(lateness, LateEvents.Bound.DEFAULT_HISTORY_EVENTS))
                        .values().stream().flatMap(List::stream).toList());
        int buckets = expected.values().stream().mapToInt(Map::size).sum();

        Map<String, Object> settings = settings(fixture, topics);
        settings.put(CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, lateness);
        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            AppProcess first = AppProcess.start(tempDir, "first", settings);
            int beforeKill = reader.readUntil(buckets / 3, Duration.ofSeconds(120));
            assertTrue(beforeKill >= buckets / 3 && distinctBuckets(reader) < buckets, "killed mid-stream, after "
                    + beforeKill + " forecasts for " + distinctBuckets(reader) + " of " + buckets + " buckets\n"
                    + first.log());
            first.kill();
            try (AppProcess second = AppProcess.start(tempDir, "second", settings)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
                while (distinctBuckets(reader) < buckets && System.nanoTime() < deadline) {
                    reader.readFor(Duration.ofSeconds(1));
                }
                reader.readFor(Duration.ofSeconds(5));
                assertEquals(buckets, distinctBuckets(reader), "a forecast for every bucket\n" + second.log());
            }
            // Revisions of a bucket must arrive in increasing order, each once (LateArrivals checks it).
            List<Forecast> published = reader.records().stream().map(ConsumerRecord::value).toList();
            assertTrue(published.stream().anyMatch(forecast -> forecast.revision() > 0), "buckets were revised");
            Map<String, TreeMap<Long, Forecast>> actual = LateArrivals.latestRevisions(published);
            assertEquals(expected.keySet(), actual.keySet());
            for (String key : expected.keySet()) {
                assertEquals(expected.get(key).keySet(), actual.get(key).keySet(), key + "'s buckets");
                for (Forecast want : expected.get(key).values()) {
                    Forecast got = actual.get(key).get(want.eventTimeMs());
                    String where = key + " bucket " + Instant.ofEpochMilli(want.eventTimeMs());
                    assertEquals(want.stepsSeen(), got.stepsSeen(), where);
                    assertEquals(want.bucket(), got.bucket(), where);
                    ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(want, fixture.card()), got,
                            fixture.card(), SingleInstanceReference.ACROSS_BATCHES_TOLERANCE, where);
                }
            }
        }
    }

    private static int distinctBuckets(ForecastReader reader) {
        return (int) reader.records().stream().map(record -> record.key() + "@" + record.value().eventTimeMs())
                .distinct().count();
    }

    /** The same events resampled without a crash, by the backtest's copy of the stream's rules. */
    private static Map<String, List<Forecast>> uncrashed(Fixture fixture, List<Fixture.Event> events) {
        return uncrashed(fixture, events, LateEvents.Bound.NONE);
    }

    private static Map<String, List<Forecast>> uncrashed(Fixture fixture, List<Fixture.Event> events,
                                                         LateEvents.Bound lateness) {
        List<ObjectNode> rows = new ArrayList<>();
        for (Fixture.Event event : events) {
            rows.add(event.value().deepCopy().put("series", event.key()));
        }
        Map<String, List<Forecast>> byKey = new HashMap<>();
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults())) {
            Forecaster forecaster = new Forecaster(runner);
            new Backtest(forecaster, new EventReader("time", TimestampFormat.of("iso"), Integer.MAX_VALUE), "series",
                    Admission.GapRule.NONE, lateness, Duration.ofMillis(CarrycastConfig.RESAMPLE_GRACE_MS_DEFAULT)).run(rows, new Evaluation(forecaster.card(), t -> true),
                    forecast -> byKey.computeIfAbsent(forecast.key(), k -> new ArrayList<>()).add(forecast));
        }
        return byKey;
    }

    private static void produceToEachPartition(String topic, long time) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int partition = 0; partition < PARTITIONS; partition++) {
                Fixture.Event clock = reading("clock-" + partition, time);
                producer.send(new ProducerRecord<>(topic, partition, time, clock.key(), clock.bytes()));
            }
            producer.flush();
        }
    }

    private static Fixture.Event reading(String key, long timeMs) {
        ObjectNode value = JsonNodeFactory.instance.objectNode().put("time", Instant.ofEpochMilli(timeMs).toString())
                .put("temp", 20.0).put("sales", 10.0).put("peak", 12.0).put("reading", 99.0).put("visits", 1);
        return new Fixture.Event(key, timeMs, value);
    }

    private Map<String, Object> settings(Fixture fixture, Topics topics) {
        Map<String, Object> settings = topics.settings(fixture.directory(), tempDir.resolve("state"),
                "resample-crash-" + UUID.randomUUID());
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, 64);
        // Small polls slow the first instance down enough to be killed mid-stream on any machine.
        settings.put("consumer.max.poll.records", 50);
        settings.put("consumer.session.timeout.ms", 10_000);
        return settings;
    }
}
