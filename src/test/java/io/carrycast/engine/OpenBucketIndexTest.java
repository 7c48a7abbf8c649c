package io.carrycast.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.bundle.Cell;
import io.carrycast.bundle.FeatureSpec;
import io.carrycast.bundle.Mode;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.NetworkSpec;
import io.carrycast.bundle.Resample;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.bundle.TensorLayout;
import io.carrycast.bundle.TensorSpec;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Resampler;
import io.carrycast.state.OpenBucket;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The open-bucket index over maps, as the backtest keeps it: which buckets a stream time closes, and when. */
class OpenBucketIndexTest {

    private static final ModelCard HOURLY_MEAN = new ModelCard("t", "1", Mode.STATEFUL, 0, Duration.ofHours(1),
            ZoneId.of("UTC"), List.of(new FeatureSpec("x", null, 0.0, 1.0)), List.of(new TargetSpec("x", 0.0, 1.0)),
            1, new NetworkSpec(Cell.GRU, 1, 4, false), new TensorSpec(null, null, TensorLayout.TIME_MAJOR, null), null,
            new Resample(Resample.Aggregate.MEAN, Map.of(), Resample.Empty.SKIP, 0));

    private final Resampler resampler = new Resampler(HOURLY_MEAN, new FeatureExtractor(HOURLY_MEAN));
    private final OpenBucketIndex index = new OpenBucketIndex(new MapBucketStore());

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    /** Adds one event with value {@code x} to the key's open bucket; returns the steps it closed. */
    private List<Resampler.Step> add(String key, String time, double x) {
        OpenBucket stored = index.get(key);
        Resampler.Added added = resampler.add(key, stored, at(time), new double[] {x});
        index.put(key, stored, added.bucket());
        return added.steps();
    }

    @Test
    void shouldCloseTheBucketsStreamTimeHasPassedInEndThenKeyOrder() {
        add("b", "2024-01-01T10:10:00Z", 2.0);
        add("a", "2024-01-01T10:20:00Z", 4.0);
        add("a", "2024-01-01T10:50:00Z", 6.0);
        add("c", "2024-01-01T11:05:00Z", 8.0);

        assertTrue(index.closeEndedBy(at("2024-01-01T11:00:00Z") - 1, resampler).isEmpty(),
                "no bucket ends before 11:00");
        Map<String, List<Resampler.Step>> closed = index.closeEndedBy(at("2024-01-01T11:00:00Z"), resampler);

        assertEquals(List.of("a", "b"), List.copyOf(closed.keySet()), "the buckets ending at 11:00, by key");
        Resampler.Step a = closed.get("a").get(0);
        assertEquals(at("2024-01-01T10:00:00Z"), a.startMs());
        assertEquals(2, a.events());
        assertEquals(5.0, a.values()[0], 1e-12, "the mean of 4 and 6");
        assertFalse(index.get("a").isOpen(), "a closed bucket leaves the key with none open");
        assertTrue(index.closeEndedBy(at("2024-01-01T11:00:00Z"), resampler).isEmpty(), "each bucket closes once");
        assertEquals(List.of("c"), List.copyOf(index.closeEndedBy(Long.MAX_VALUE, resampler).keySet()));
    }

    @Test
    void shouldMoveAKeysEntryWhenItsNextEventOpensALaterBucket() {
        add("k", "2024-01-01T10:10:00Z", 1.0);
        List<Resampler.Step> steppedByEvent = add("k", "2024-01-01T11:10:00Z", 3.0);

        assertEquals(1, steppedByEvent.size(), "the event into 11:00 closes the 10:00 bucket");
        assertTrue(index.closeEndedBy(at("2024-01-01T11:00:00Z"), resampler).isEmpty(),
                "the 10:00 bucket's entry went with it");
        Map<String, List<Resampler.Step>> closed = index.closeEndedBy(at("2024-01-01T12:00:00Z"), resampler);
        assertEquals(at("2024-01-01T11:00:00Z"), closed.get("k").get(0).startMs());
    }
}
