package io.carrycast.backtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.accuracy.Intervals;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.Resampler;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.IntervalReference;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Intervals from live errors, through the topology and through the backtest, against the plain Python loop of
 * {@code tools/interval_reference.py}: the same events (three keys with different noise, two late events of
 * the noisy one) give the same bounds within 1e-6, the late events' corrected forecasts included.
 */
class IntervalParityTest {

    /** Bounds the reference compares per run: 362 forecasts, 3 steps, 2 levels, 2 targets, 2 bounds. */
    private static final int BOUNDS = 362 * 3 * 2 * 2 * 2;

    @TempDir
    Path stateDir;

    @Test
    void shouldGiveThePythonReferenceIntervalsThroughTheTopologyWithLateEvents() {
        IntervalReference reference = IntervalReference.load();
        List<Forecast> streamed = new ArrayList<>();
        try (ForecastDriver driver = ForecastDriver.open(Fixture.load(IntervalReference.MODEL).directory(), stateDir,
                IntervalReference.SETTINGS)) {
            driver.send(reference.events());
            driver.forecasts().stream().map(TestRecord::value).forEach(streamed::add);
        }

        assertEquals(BOUNDS, reference.assertSameIntervals(streamed));
        assertEquals(2, streamed.stream().filter(forecast -> forecast.revision() > 0).count(),
                "each late event revised the noisy key's next forecast");
    }

    @Test
    void shouldGiveThePythonReferenceIntervalsThroughTheBacktest() {
        IntervalReference reference = IntervalReference.load();

        List<Forecast> backtested = backtest(reference);

        assertEquals(BOUNDS, reference.assertSameIntervals(backtested));
    }

    /**
     * A resampling card: each step's actual is its target bucket's aggregate (a sum for {@code sales}); 43
     * buckets with events publish forecasts of 2 steps and 2 targets at levels 0.5 and 0.8.
     */
    @Test
    void shouldTakeEachBucketsAggregateAsTheActualWhenResampling() {
        IntervalReference reference = IntervalReference.resampled();
        Fixture fixture = Fixture.load("resample_carry");
        List<Forecast> backtested = new ArrayList<>();
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults())) {
            new Backtest(new Forecaster(runner), new EventReader("time", TimestampFormat.of("iso"), Integer.MAX_VALUE),
                    IntervalReference.KEY_FIELD, Admission.GapRule.NONE, LateEvents.Bound.NONE, Duration.ofMinutes(5),
                    new Intervals(new double[] {0.5, 0.8}, 5))
                    .run(reference.events().stream().map(Fixture.Event::value).toList(),
                            new Evaluation(fixture.card(), t -> true), backtested::add);
        }

        assertEquals(43 * 2 * 2 * 2 * 2, reference.assertSameIntervals(backtested));
    }

    @Test
    void shouldNarrowTheIntervalsOfACalmKeyBelowANoisyOnes() {
        List<Forecast> backtested = backtest(IntervalReference.load());

        for (String target : IntervalReference.TARGETS) {
            for (int step = 1; step <= 3; step++) {
                for (int level = 0; level < 2; level++) {
                    double calm = meanWidth(backtested, "calm", target, step, level);
                    double noisy = meanWidth(backtested, "noisy", target, step, level);
                    assertTrue(calm < 0.8 * noisy, target + " step " + step + " level " + level + ": calm " + calm
                            + " against noisy " + noisy);
                }
            }
        }
    }

    @Test
    void shouldStateThatAForecastHasNoIntervalUntilItsKeyHasEnoughErrors() {
        List<Forecast> calm = backtest(IntervalReference.load()).stream()
                .filter(forecast -> forecast.key().equals("calm")).toList();

        // Step 1's k-th error at 0.8 needs n >= 4 errors, at 0.95 n >= 19: the forecast made at the key's
        // (n+1)-th event has n errors of step 1.
        assertEquals(4, Intervals.errorsNeeded(0.8));
        assertEquals(19, Intervals.errorsNeeded(0.95));
        assertEquals(null, calm.get(3).points().get(0).intervals().get(0).lower().get("load"));
        assertTrue(calm.get(4).points().get(0).intervals().get(0).lower().get("load") != null);
        assertEquals(null, calm.get(18).points().get(0).intervals().get(1).upper().get("temperature"));
        assertTrue(calm.get(19).points().get(0).intervals().get(1).upper().get("temperature") != null);
    }

    private static double meanWidth(List<Forecast> forecasts, String key, String target, int step, int level) {
        double sum = 0;
        int count = 0;
        for (Forecast forecast : forecasts) {
            Forecast.Interval interval = forecast.points().get(step - 1).intervals().get(level);
            if (forecast.key().equals(key) && interval.lower().get(target) != null) {
                sum += interval.upper().get(target) - interval.lower().get(target);
                count++;
            }
        }
        return sum / count;
    }

    static List<Forecast> backtest(IntervalReference reference) {
        Fixture fixture = Fixture.load(IntervalReference.MODEL);
        List<Forecast> backtested = new ArrayList<>();
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults())) {
            Backtest backtest = new Backtest(new Forecaster(runner), new EventReader("time", TimestampFormat.of("iso"),
                    Integer.MAX_VALUE), IntervalReference.KEY_FIELD, Admission.GapRule.NONE,
                    new LateEvents.Bound(10_800_000L, LateEvents.Bound.DEFAULT_HISTORY_EVENTS),
                    Duration.ofMillis(Resampler.DEFAULT_GRACE_MS), new Intervals(new double[] {0.8, 0.95}, 40));
            Backtest.Result result = backtest.run(reference.events().stream().map(Fixture.Event::value).toList(),
                    new Evaluation(fixture.card(), t -> true), backtested::add);
            assertEquals(0, result.refused(), result.firstRefusals().toString());
        }
        return backtested;
    }
}
