package io.carrycast.topology;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.bundle.ModelCard;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.state.KeyState;
import io.carrycast.state.StateRecord;
import io.carrycast.testing.DeadLetters;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.LateArrivals;
import io.carrycast.testing.Meters;
import io.carrycast.testing.ReferenceScores;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Resampling through the topology against a plain PyTorch loop that groups each key's events by bucket and
 * steps once per bucket ({@code tools/resample_reference.py}): mean, sum, max, last and count fields, hourly
 * buckets aligned in the card's zone (Asia/Kolkata, whose hours start at :30 UTC), empty buckets carried,
 * zeroed or skipped.
 */
class ResampleTest {

    private static final long HOUR = 3_600_000L;

    @TempDir
    Path stateDir;

    @ParameterizedTest(name = "{0}, batches of up to {1}, grace {2} ms")
    @CsvSource({"resample_carry, 256, 0", "resample_zeros, 256, 0", "resample_skip, 256, 0",
        "resample_carry, 1, 5000", "resample_zeros, 1, 600000", "resample_skip, 256, 7200000"})
    void shouldMatchAPlainPyTorchLoopOverEachKeysBuckets(String name, int maxBatch, long graceMs) {
        Fixture fixture = Fixture.load(name);
        ModelCard card = fixture.card();
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of(
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, Integer.toString(maxBatch),
                CarrycastConfig.RESAMPLE_GRACE_MS_CONFIG, Long.toString(graceMs)))) {
            List<Fixture.Event> events = fixture.eventsInTimeOrder();
            driver.send(events);
            // Another key's event a day later moves stream time past every open bucket's end and grace.
            long later = events.get(events.size() - 1).timeMs() + 24 * HOUR;
            driver.sendRaw("clock", event(later, 1.0), later);
            byKey = driver.forecasts().stream().collect(Collectors.groupingBy(TestRecord::key, LinkedHashMap::new,
                    Collectors.mapping(TestRecord::value, Collectors.toList())));
            assertEquals(List.of(), driver.deadLetters(), "no event is refused");
        }

        int filled = 0;
        for (String key : fixture.keys()) {
            List<Fixture.ExpectedBucket> expected = fixture.expectedBuckets(key);
            List<Forecast> forecasts = byKey.getOrDefault(key, List.of());
            assertEquals(expected.size(), forecasts.size(), key + ": one forecast per bucket with events");
            for (int i = 0; i < expected.size(); i++) {
                Fixture.ExpectedBucket bucket = expected.get(i);
                Forecast forecast = forecasts.get(i);
                String where = name + " " + key + " bucket " + Instant.ofEpochMilli(bucket.startMs());
                assertEquals(bucket.startMs(), forecast.eventTimeMs(), where + ": event time is the bucket's start");
                assertEquals(new Forecast.Bucket(bucket.events(), bucket.filledBefore()), forecast.bucket(), where);
                assertEquals(bucket.startMs() + HOUR, forecast.points().get(0).targetTimeMs(), where + ": step 1");
                assertEquals(bucket.startMs() + 2 * HOUR, forecast.points().get(1).targetTimeMs(), where + ": step 2");
                assertMatches(bucket.outputs(), forecast, card, fixture.tolerance(), where);
                filled += bucket.filledBefore();
            }
        }
        if (!name.equals("resample_skip")) {
            assertTrue(filled >= 3, name + " fills empty buckets, found " + filled);
        }
    }

    /**
     * With an allowed lateness, each key's events arrive shuffled within their bucket (some late by most of an
     * hour), and some of them twice: the forecasts are still the in-order reference's, and the repeats are dropped.
     */
    @ParameterizedTest(name = "{0}, batches of up to {1}, seed {2}")
    @CsvSource({"resample_carry, 256, 1", "resample_skip, 1, 2", "resample_zeros, 256, 3"})
    void shouldTakeLateEventsIntoTheOpenBucketAsIfTheyHadArrivedInOrder(String name, int maxBatch, long seed) {
        Fixture fixture = Fixture.load(name);
        List<Fixture.Event> inOrder = fixture.eventsInTimeOrder();
        java.util.Random random = new java.util.Random(seed);
        // Each key's events of one bucket (Asia/Kolkata hours: from :30 UTC) take each other's places in the
        // stream, in a random order; so every other key's events and the buckets' order stay as they were.
        Map<String, List<Integer>> places = new LinkedHashMap<>();
        for (int i = 0; i < inOrder.size(); i++) {
            Fixture.Event event = inOrder.get(i);
            long bucket = Math.floorDiv(event.timeMs() + HOUR / 2, HOUR);
            places.computeIfAbsent(event.key() + "@" + bucket, k -> new java.util.ArrayList<>()).add(i);
        }
        Fixture.Event[] shuffled = new Fixture.Event[inOrder.size()];
        List<Fixture.Event> sent = new java.util.ArrayList<>();
        int late = 0;
        int repeats = 0;
        for (List<Integer> group : places.values()) {
            List<Integer> order = new java.util.ArrayList<>(group);
            java.util.Collections.shuffle(order, random);
            for (int j = 0; j < group.size(); j++) {
                shuffled[group.get(j)] = inOrder.get(order.get(j));
            }
        }
        Map<String, Long> latest = new java.util.HashMap<>();
        Map<String, Fixture.Event> lastOfBucket = new java.util.HashMap<>();
        for (Fixture.Event event : shuffled) {
            sent.add(event);
            if (latest.getOrDefault(event.key(), Long.MIN_VALUE) > event.timeMs()) {
                late++;
            }
            latest.merge(event.key(), event.timeMs(), Math::max);
            String bucket = event.key() + "@" + Math.floorDiv(event.timeMs() + HOUR / 2, HOUR);
            Fixture.Event earlier = lastOfBucket.put(bucket, event);
            if (earlier != null && random.nextInt(4) == 0) {
                sent.add(earlier); // an earlier event of the open bucket, delivered again
                repeats++;
            }
        }
        assertTrue(late >= 20 && repeats >= 5, late + " late events, " + repeats + " repeats");

        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of(
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, Integer.toString(maxBatch),
                CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, Long.toString(HOUR)))) {
            driver.send(sent);
            long later = inOrder.get(inOrder.size() - 1).timeMs() + 24 * HOUR;
            driver.sendRaw("clock", event(later, 1.0), later);
            byKey = driver.forecasts().stream().collect(Collectors.groupingBy(TestRecord::key, LinkedHashMap::new,
                    Collectors.mapping(TestRecord::value, Collectors.toList())));
            assertEquals(List.of(), driver.deadLetters(), "no event is refused");
            assertEquals(repeats, Meters.count(driver.registry(), "carrycast.events.duplicate"), 0.0, "each repeat dropped as a redelivery");
        }
        for (String key : fixture.keys()) {
            List<Fixture.ExpectedBucket> expected = fixture.expectedBuckets(key);
            List<Forecast> forecasts = byKey.getOrDefault(key, List.of());
            assertEquals(expected.size(), forecasts.size(), key + ": one forecast per bucket with events");
            for (int i = 0; i < expected.size(); i++) {
                String where = name + " " + key + " bucket " + Instant.ofEpochMilli(expected.get(i).startMs());
                assertEquals(expected.get(i).startMs(), forecasts.get(i).eventTimeMs(), where);
                assertEquals(expected.get(i).events(), forecasts.get(i).bucket().events(), where);
                assertMatches(expected.get(i).outputs(), forecasts.get(i), fixture.card(), fixture.tolerance(), where);
            }
        }
    }

    /**
     * With an allowed lateness of three hours, each event is held back up to two and a half hours, so events
     * arrive after later buckets of their key were stepped (by its next event or, with no grace, by stream time),
     * and some fall into buckets that were filled or skipped as empty. Each such event revises its bucket and the
     * key is replayed: the latest revision of every bucket's forecast is the in-order PyTorch loop's, no other
     * bucket has one, and every key ends in the state of a run that received its events in order.
     */
    @ParameterizedTest(name = "{0}, batches of up to {1}, grace {2} ms, seed {3}")
    @CsvSource({"resample_carry, 256, 0, 1", "resample_zeros, 1, 600000, 2", "resample_skip, 256, 3600000, 3",
        "resample_carry, 1, 7200000, 4"})
    void shouldReviseSteppedBucketsForLateEventsAndEndAsTheInOrderReference(String name, int maxBatch, long graceMs,
                                                                          long seed) {
        Fixture fixture = Fixture.load(name);
        List<Fixture.Event> inOrder = fixture.eventsInTimeOrder();
        long later = inOrder.get(inOrder.size() - 1).timeMs() + 24 * HOUR;
        Map<String, byte[]> expectedStates;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve("in-order"), Map.of(
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, Integer.toString(maxBatch),
                CarrycastConfig.RESAMPLE_GRACE_MS_CONFIG, Long.toString(graceMs)))) {
            driver.send(inOrder);
            driver.sendRaw("clock", event(later, 1.0), later);
            expectedStates = stateRecords(driver);
        }
        List<Fixture.Event> arrivals = LateArrivals.delayed(inOrder, 150 * 60_000L, seed);
        assertTrue(LateArrivals.lateCount(arrivals) >= 20, LateArrivals.lateCount(arrivals) + " late events");

        Map<String, TreeMap<Long, Forecast>> latest;
        List<Forecast> forecasts;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve("late"), Map.of(
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, Integer.toString(maxBatch),
                CarrycastConfig.RESAMPLE_GRACE_MS_CONFIG, Long.toString(graceMs),
                CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, Long.toString(3 * HOUR)))) {
            driver.send(arrivals);
            driver.sendRaw("clock", event(later, 1.0), later);
            forecasts = Forecasts.values(driver.forecasts());
            latest = LateArrivals.latestRevisions(forecasts);
            assertEquals(List.of(), driver.deadLetters(), "no event is refused");
            assertTrue(Meters.count(driver.registry(), "carrycast.corrections.replayed") >= 10, Meters.count(driver.registry(), "carrycast.corrections.replayed") + " corrections");
            Map<String, byte[]> states = stateRecords(driver);
            assertEquals(expectedStates.keySet(), states.keySet());
            expectedStates.forEach((key, record) -> assertSameState(StateRecord.decode(record).state(),
                    StateRecord.decode(states.get(key)).state(), name + " state of " + key));
        }
        assertTrue(forecasts.stream().anyMatch(forecast -> forecast.revision() > 0), "some buckets were revised");
        for (String key : fixture.keys()) {
            List<Fixture.ExpectedBucket> expected = fixture.expectedBuckets(key);
            TreeMap<Long, Forecast> got = latest.getOrDefault(key, new TreeMap<>());
            assertEquals(expected.stream().map(Fixture.ExpectedBucket::startMs).toList(), List.copyOf(got.keySet()),
                    name + " " + key + ": a forecast for each bucket with events, and for no other");
            for (Fixture.ExpectedBucket bucket : expected) {
                Forecast forecast = got.get(bucket.startMs());
                String where = name + " " + key + " bucket " + Instant.ofEpochMilli(bucket.startMs());
                assertEquals(new Forecast.Bucket(bucket.events(), bucket.filledBefore()), forecast.bucket(), where);
                assertMatches(bucket.outputs(), forecast, fixture.card(), fixture.tolerance(), where);
            }
        }
    }

    private static Map<String, byte[]> stateRecords(ForecastDriver driver) {
        Map<String, byte[]> records = new TreeMap<>();
        try (KeyValueIterator<String, byte[]> all = driver.driver().<String, byte[]>getKeyValueStore(
                ForecastTopology.STATE_STORE).all()) {
            all.forEachRemaining(entry -> records.put(entry.key, entry.value));
        }
        return records;
    }

    /** Replays step one bucket per model call; the in-order run may share calls, so the last bits may differ. */
    private static void assertSameState(KeyState want, KeyState got, String where) {
        assertEquals(want.steps(), got.steps(), where);
        assertEquals(want.lastEventTimeMs(), got.lastEventTimeMs(), where);
        for (int t = 0; t < want.tensors().length; t++) {
            assertArrayEquals(want.tensors()[t], got.tensors()[t], 1e-6f, where + " tensor " + t);
        }
    }

    /**
     * Live scoring with a resampling card: each step of a bucket's forecast is scored against the aggregates
     * of the bucket it targets (temp: mean, sales: sum), as the reference computed them, with the aggregates
     * of the bucket it was made at as persistence; a step whose bucket had no events (filled or skipped) is
     * counted as skipped once a later bucket is stepped.
     */
    @ParameterizedTest(name = "{0}, batches of up to {1}")
    @CsvSource({"resample_carry, 256", "resample_skip, 1"})
    void shouldScoreEachBucketsForecastAgainstTheAggregatesOfTheBucketsItTargets(String name, int maxBatch) {
        Fixture fixture = Fixture.load(name);
        ModelCard card = fixture.card();
        List<String> targets = card.targets().stream().map(t -> t.field()).toList();
        List<Forecast> forecasts;
        Map<String, Score> scores = new TreeMap<>();
        MeterRegistry registry;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of(
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, Integer.toString(maxBatch),
                CarrycastConfig.SCORING_ENABLED_CONFIG, "true", CarrycastConfig.SCORING_TOPIC_CONFIG, "scores"))) {
            TestOutputTopic<String, byte[]> scoreTopic = driver.driver().createOutputTopic("scores",
                    new StringDeserializer(), new ByteArrayDeserializer());
            List<Fixture.Event> events = fixture.eventsInTimeOrder();
            driver.send(events);
            long later = events.get(events.size() - 1).timeMs() + 24 * HOUR;
            driver.sendRaw("clock", event(later, 1.0), later);
            forecasts = Forecasts.values(driver.forecasts());
            scoreTopic.readRecordsToList().forEach(record -> {
                Score score = ScoreJson.read(record.value());
                assertEquals(null, scores.put(ReferenceScores.keyOf(score), score), "scored once: " + score);
            });
            registry = driver.registry();
        }

        int expectedScores = 0;
        Map<String, Integer> expectedSkips = new TreeMap<>();
        for (String key : fixture.keys()) {
            Map<Long, Fixture.ExpectedBucket> buckets = new java.util.HashMap<>();
            fixture.expectedBuckets(key).forEach(bucket -> buckets.put(bucket.startMs(), bucket));
            long lastStart = buckets.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
            for (Forecast forecast : forecasts.stream().filter(f -> f.key().equals(key)).toList()) {
                Fixture.ExpectedBucket madeAt = buckets.get(forecast.eventTimeMs());
                for (Forecast.Point point : forecast.points()) {
                    Fixture.ExpectedBucket actual = buckets.get(point.targetTimeMs());
                    for (String target : targets) {
                        String id = key + "@" + forecast.eventTimeMs() + "+" + point.step() + ":" + target;
                        if (actual == null) {
                            if (point.targetTimeMs() < lastStart) {
                                expectedSkips.merge(target + " step " + point.step(), 1, Integer::sum);
                            }
                            assertEquals(null, scores.get(id), id + ": no bucket with events, nothing scored");
                            continue;
                        }
                        Score got = scores.get(id);
                        assertTrue(got != null, "missing score " + id);
                        assertEquals(point.targetTimeMs(), got.targetTimeMs(), id);
                        assertEquals(point.values().get(target), got.forecast(), 1e-9, id + " forecast");
                        assertEquals(actual.values().get(target), got.actual(), 1e-9, id + " actual: the bucket's aggregate");
                        assertEquals(madeAt.values().get(target), got.persistence(), 1e-9, id + " persistence");
                        expectedScores++;
                    }
                }
            }
        }
        assertEquals(expectedScores, scores.size(), "one score per forecast value whose bucket had events");
        assertTrue(expectedScores > 100, "most steps land on buckets with events, found " + expectedScores);
        assertTrue(!expectedSkips.isEmpty(), "some steps target empty buckets");
        for (String target : targets) {
            for (int step = 1; step <= card.horizon(); step++) {
                assertEquals(expectedSkips.getOrDefault(target + " step " + step, 0).doubleValue(),
                        Meters.count(registry, "carrycast.accuracy.skipped", "model", card.name(), "version",
                                card.version(), "target", target, "step", String.valueOf(step)),
                        target + " step " + step);
            }
        }
    }

    @Test
    void shouldStepAQuietKeysBucketOnceStreamTimePassesItsEndAndTheGrace() {
        Fixture fixture = Fixture.load("resample_carry");
        long grace = 10 * 60_000L;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of(CarrycastConfig.RESAMPLE_GRACE_MS_CONFIG, Long.toString(grace)))) {
            long bucketStart = Instant.parse("2024-03-30T14:30:00Z").toEpochMilli(); // 20:00 in Kolkata
            driver.sendRaw("quiet", event(bucketStart + 60_000, 10.0), bucketStart + 60_000);
            driver.sendRaw("quiet", event(bucketStart + 120_000, 20.0), bucketStart + 120_000);

            driver.sendRaw("busy", event(bucketStart + HOUR + grace - 1, 1.0), bucketStart + HOUR + grace - 1);
            assertEquals(List.of(), driver.forecasts(), "stream time has not passed the bucket's end plus grace");

            // The index is checked at most once per second of stream time.
            long passed = bucketStart + HOUR + grace + 1_000;
            driver.sendRaw("busy", event(passed, 1.0), passed);
            List<TestRecord<String, Forecast>> forecasts = driver.forecasts();
            assertEquals(1, forecasts.size());
            assertEquals("quiet", forecasts.get(0).key());
            assertEquals(bucketStart, forecasts.get(0).value().eventTimeMs());
            assertEquals(new Forecast.Bucket(2, 0), forecasts.get(0).value().bucket());
        }
    }

    @Test
    void shouldDeadLetterAnEventForABucketAlreadySteppedAsLate() {
        Fixture fixture = Fixture.load("resample_carry");
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of(CarrycastConfig.RESAMPLE_GRACE_MS_CONFIG, "0"))) {
            long bucketStart = Instant.parse("2024-03-30T14:30:00Z").toEpochMilli();
            driver.sendRaw("k", event(bucketStart + 60_000, 10.0), bucketStart + 60_000);
            driver.sendRaw("other", event(bucketStart + HOUR + 1_000, 1.0), bucketStart + HOUR + 1_000);
            assertEquals(1, driver.forecasts().size(), "stream time passed the end of k's bucket");

            // After k's last event, but in the bucket already stepped.
            driver.sendRaw("k", event(bucketStart + 50 * 60_000, 12.0), bucketStart + HOUR + 2_000);

            List<TestRecord<String, byte[]>> deadLetters = driver.deadLetters();
            assertEquals(1, deadLetters.size());
            assertEquals("k", deadLetters.get(0).key());
            assertEquals(InvalidEventException.Reason.LATE.label(), DeadLetters.reason(deadLetters.get(0)));
            assertEquals(List.of(), driver.forecasts(), "the late event changed nothing");
        }
    }

    @Test
    void shouldKeepBucketStoresOnlyForACardThatResamples() {
        try (ForecastDriver plain = ForecastDriver.open(Fixture.load("lstm"), stateDir.resolve("plain"))) {
            assertTrue(plain.driver().getAllStateStores().keySet().stream()
                    .noneMatch(name -> name.startsWith(ForecastTopology.BUCKET_STORE)));
        }
        try (ForecastDriver resampled = ForecastDriver.open(Fixture.load("resample_skip"), stateDir.resolve("resampled"))) {
            assertTrue(resampled.driver().getAllStateStores().keySet().containsAll(
                    List.of(ForecastTopology.BUCKET_STORE, ForecastTopology.BUCKET_DUE_STORE)));
        }
    }

    /** An event of the fixture's fields, every field {@code value}. */
    private static byte[] event(long timeMs, double value) {
        return ("{\"time\":\"" + Instant.ofEpochMilli(timeMs) + "\",\"temp\":" + value + ",\"sales\":" + value
                + ",\"peak\":" + value + ",\"reading\":" + value + ",\"visits\":1}").getBytes(StandardCharsets.UTF_8);
    }
}
