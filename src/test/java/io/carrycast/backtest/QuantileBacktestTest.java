package io.carrycast.backtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.accuracy.IntervalTally;
import io.carrycast.accuracy.Intervals;
import io.carrycast.accuracy.Score;
import io.carrycast.bundle.InvalidModelException;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.QuantileReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A quantile-head model through the backtest: PyTorch's medians and quantiles within 1e-5, and the table's
 * coverage, width, interval score and pinball loss as computed here from their definitions.
 */
class QuantileBacktestTest {

    private static final String KEY_FIELD = "series";

    @Test
    void shouldForecastPyTorchsQuantilesAndScoreThemPerKeyTargetAndStep() {
        Fixture fixture = Fixture.load(QuantileReference.MODEL);
        List<Fixture.Event> events = fixture.interleavedEvents();
        events.forEach(event -> event.value().put(KEY_FIELD, event.key()));
        List<Forecast> backtested = new ArrayList<>();
        Backtest.Result result = backtest(fixture, events, Intervals.NONE, backtested);

        Map<String, List<Forecast>> byKey = new LinkedHashMap<>();
        backtested.forEach(forecast -> byKey.computeIfAbsent(forecast.key(), k -> new ArrayList<>()).add(forecast));
        double largest = QuantileReference.assertSameQuantiles(fixture, byKey);
        System.out.printf("quantile_lstm through the backtest: largest difference from PyTorch %.3g%n", largest);

        Map<String, IntervalTally> intervals = new LinkedHashMap<>();
        Map<String, double[]> pinball = new LinkedHashMap<>();
        for (QuantileReference.Due value : QuantileReference.due(events, backtested)) {
            String cell = value.forecast().key() + "/" + value.target() + "/" + value.step();
            Score.Range range = value.range();
            intervals.merge(cell, IntervalTally.EMPTY.add(range, value.actual()),
                    (sum, one) -> sum.add(range, value.actual()));
            double[] sum = pinball.computeIfAbsent(cell, c -> new double[2]);
            sum[0] += value.pinball();
            sum[1]++;
        }
        assertEquals(3 * 2 * 3, result.scores().size(), "3 keys, 2 targets, 3 steps");
        for (Evaluation.Score score : result.scores()) {
            String cell = score.key() + "/" + score.target() + "/" + score.step();
            IntervalTally want = intervals.get(cell);
            IntervalTally got = score.intervals().get(QuantileReference.LEVEL);
            assertEquals(30 - score.step(), got.count(), cell);
            assertEquals(want.covered(), got.covered(), cell + ": covered");
            assertEquals(want.meanWidth(), got.meanWidth(), 1e-12, cell + ": mean width");
            assertEquals(want.meanWinkler(), got.meanWinkler(), 1e-12, cell + ": mean interval score");
            assertEquals(pinball.get(cell)[1], score.pinball().count(), cell + ": values with a pinball loss");
            assertEquals(pinball.get(cell)[0] / pinball.get(cell)[1], score.pinball().mean(), 1e-12,
                    cell + ": mean pinball loss");
        }
        String table = Evaluation.table(result.scores());
        assertTrue(table.lines().findFirst().orElseThrow().endsWith("winkler@0.800    pinball"), table);
        Evaluation.Score first = result.scores().get(0);
        assertTrue(table.lines().skip(1).findFirst().orElseThrow()
                .endsWith(String.format(java.util.Locale.ROOT, " %10.4f", first.pinball().mean())), table);
    }

    @Test
    void shouldRefuseAQuantileModelWithIntervalLevels() {
        Fixture fixture = Fixture.load(QuantileReference.MODEL);

        InvalidModelException refused = assertThrows(InvalidModelException.class, () -> backtest(fixture, List.of(),
                new Intervals(new double[] {0.9}, 50), new ArrayList<>()));

        assertTrue(refused.getMessage().startsWith(fixture.directory().resolve("model.json")
                + ": field 'targets[0].quantiles' declares quantiles [0.1, 0.5, 0.9] while carrycast.intervals.levels"
                + " is set to [0.9]"), refused.getMessage());
    }

    private static Backtest.Result backtest(Fixture fixture, List<Fixture.Event> events, Intervals intervals,
                                            List<Forecast> sink) {
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults())) {
            Backtest backtest = new Backtest(new Forecaster(runner), new EventReader("time", TimestampFormat.of("iso"),
                    Integer.MAX_VALUE), KEY_FIELD, Admission.GapRule.NONE, LateEvents.Bound.NONE, Duration.ofSeconds(5),
                    intervals);
            return backtest.run(events.stream().map(Fixture.Event::value).toList(),
                    new Evaluation(fixture.card(), t -> true), sink::add);
        }
    }
}
