package io.carrycast.topology;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.bundle.ModelCard;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.testing.DeadLetters;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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
