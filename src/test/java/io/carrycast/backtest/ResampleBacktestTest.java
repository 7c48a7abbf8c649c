package io.carrycast.backtest;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.LateArrivals;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The backtest resamples through the stream's rules ({@link io.carrycast.forecast.Resampler}): a file of
 * irregular events gives the forecasts of the plain PyTorch loop in {@code tools/resample_reference.py}.
 */
class ResampleBacktestTest {

    @ParameterizedTest
    @ValueSource(strings = {"resample_carry", "resample_zeros", "resample_skip"})
    void shouldResampleAFileAsTheReferenceDoes(String name) {
        Fixture fixture = Fixture.load(name);
        assertResamplesAsTheReference(fixture, fixture.eventsInTimeOrder(), LateEvents.Bound.NONE);
    }

    /** Rows out of time order within each key's hour, with an hour's lateness allowed: the same forecasts. */
    @ParameterizedTest
    @ValueSource(strings = {"resample_carry", "resample_skip"})
    void shouldTakeRowsOutOfOrderWithinTheOpenBucketWithAnAllowedLateness(String name) {
        Fixture fixture = Fixture.load(name);
        List<Fixture.Event> events = new ArrayList<>(fixture.eventsInTimeOrder());
        // Reverse each run of one key's events within one Asia/Kolkata hour (hours from :30 UTC).
        int reversed = 0;
        for (int from = 0; from < events.size(); ) {
            Fixture.Event first = events.get(from);
            long hour = Math.floorDiv(first.timeMs() + 1_800_000L, 3_600_000L);
            int to = from + 1;
            while (to < events.size() && events.get(to).key().equals(first.key())
                    && Math.floorDiv(events.get(to).timeMs() + 1_800_000L, 3_600_000L) == hour) {
                to++;
            }
            if (to - from > 1) {
                java.util.Collections.reverse(events.subList(from, to));
                reversed++;
            }
            from = to;
        }
        org.junit.jupiter.api.Assertions.assertTrue(reversed > 0, "some rows out of order");
        assertResamplesAsTheReference(fixture, events, new LateEvents.Bound(3_600_000L, 64));
    }

    /**
     * Rows held back up to two and a half hours, with three hours' lateness allowed: rows for buckets already
     * stepped (or stepped past as empty) revise them, and the latest revisions and the scores are the in-order
     * file's, the forecasts the reference's.
     */
    @ParameterizedTest
    @ValueSource(strings = {"resample_carry", "resample_zeros", "resample_skip"})
    void shouldReviseSteppedBucketsWithRowsFromEarlierBucketsAndScoreAsTheInOrderFile(String name) {
        Fixture fixture = Fixture.load(name);
        List<Evaluation.Score> inOrder = assertResamplesAsTheReference(fixture, fixture.eventsInTimeOrder(),
                LateEvents.Bound.NONE).scores();
        List<Fixture.Event> arrivals = LateArrivals.delayed(fixture.eventsInTimeOrder(),
                150 * 60_000L, 7);

        List<Evaluation.Score> delayed = assertResamplesAsTheReference(fixture, arrivals,
                new LateEvents.Bound(3 * 3_600_000L, 64)).scores();

        assertEquals(inOrder.size(), delayed.size());
        for (int i = 0; i < inOrder.size(); i++) {
            Evaluation.Score want = inOrder.get(i);
            Evaluation.Score got = delayed.get(i);
            String where = want.key() + " " + want.target() + " step " + want.step();
            assertEquals(List.of(want.key(), want.target(), want.step(), want.count()),
                    List.of(got.key(), got.target(), got.step(), got.count()), where);
            assertEquals(want.maeModel(), got.maeModel(), 1e-9, where);
            assertEquals(want.maePersistence(), got.maePersistence(), 1e-9, where);
        }
    }

    private static Backtest.Result assertResamplesAsTheReference(Fixture fixture, List<Fixture.Event> events,
                                                                 LateEvents.Bound lateness) {
        String name = fixture.card().name();
        events.forEach(event -> event.value().put("series", event.key()));
        List<Forecast> forecasts = new ArrayList<>();
        Backtest.Result result;
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults())) {
            Backtest backtest = new Backtest(new Forecaster(runner), new EventReader("time", TimestampFormat.of("iso"),
                    Integer.MAX_VALUE), "series", Admission.GapRule.NONE, lateness, Duration.ofMinutes(5));
            result = backtest.run(events.stream().map(Fixture.Event::value).toList(),
                    new Evaluation(fixture.card(), t -> true), forecasts::add);
        }

        assertEquals(0, result.refused());
        assertEquals(forecasts.size(), result.forecasts());
        Map<String, TreeMap<Long, Forecast>> latest = LateArrivals.latestRevisions(forecasts);
        for (String key : fixture.keys()) {
            List<Forecast> keyForecasts = List.copyOf(latest.get(key).values());
            List<Fixture.ExpectedBucket> expected = fixture.expectedBuckets(key);
            assertEquals(expected.size(), keyForecasts.size(), key);
            for (int i = 0; i < expected.size(); i++) {
                Fixture.ExpectedBucket bucket = expected.get(i);
                Forecast forecast = keyForecasts.get(i);
                String where = name + " " + key + " bucket " + i;
                assertEquals(bucket.startMs(), forecast.eventTimeMs(), where);
                assertEquals(new Forecast.Bucket(bucket.events(), bucket.filledBefore()), forecast.bucket(), where);
                assertMatches(bucket.outputs(), forecast, fixture.card(), fixture.tolerance(), where);
            }
        }
        return result;
    }
}
