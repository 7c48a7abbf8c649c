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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    private static void assertResamplesAsTheReference(Fixture fixture, List<Fixture.Event> events,
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
        for (String key : fixture.keys()) {
            List<Forecast> keyForecasts = forecasts.stream().filter(f -> f.key().equals(key)).toList();
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
    }
}
