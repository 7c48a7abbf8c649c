package io.carrycast.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.forecast.Forecast;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scoring rule on numbers small enough to check by hand. */
class ScorerTest {

    private static final long HOUR = 3_600_000L;
    private static final List<String> TARGETS = List.of("load", "temp");

    /** Collects what the scorer reports. */
    private static final class Collected implements Scorer.Sink {
        final List<Score> scores = new ArrayList<>();
        final List<String> skipped = new ArrayList<>();

        @Override
        public void scored(Score score) {
            scores.add(score);
        }

        @Override
        public void skipped(String modelName, String modelVersion, String target, int step, Scorer.Skip why) {
            skipped.add(modelVersion + " " + target + " step " + step + " " + why.label());
        }
    }

    /** A two-target, three-step forecast made at {@code madeAt}, values given step by step. */
    private static Forecast forecast(long madeAt, double... loadThenTemp) {
        List<Forecast.Point> points = new ArrayList<>();
        for (int step = 1; step <= 3; step++) {
            Map<String, Double> values = new LinkedHashMap<>();
            values.put("load", loadThenTemp[(step - 1) * 2]);
            values.put("temp", loadThenTemp[(step - 1) * 2 + 1]);
            points.add(new Forecast.Point(step, madeAt + step * HOUR, values));
        }
        return new Forecast("a", madeAt, "m", "1", "stateful", 1, null, points);
    }

    private static Scorer.Actuals actuals(double load, double temp) {
        return new Scorer.Actuals(TARGETS, new double[] {load, temp});
    }

    @Test
    void shouldScoreEachStepWhenItsTargetTimeArrivesAgainstModelAndPersistence() {
        // Made at 0 h with load 100 and temp 10: persistence forecasts 100 and 10 for every step.
        WaitingForecasts waiting = WaitingForecasts.NONE.plus(Scorer.waitingFor(
                forecast(0, 104, 11, 108, 12.5, 90, 9), HOUR, TARGETS, actuals(100, 10)));
        Collected sink = new Collected();

        waiting = Scorer.score("a", waiting, HOUR, actuals(103, 10.5), sink);

        assertEquals(2, sink.scores.size());
        Score load = sink.scores.get(0);
        assertEquals(new Score("a", 0, HOUR, 1, "load", 104, 103, 100, "m", "1"), load);
        assertEquals(1.0, load.error(), 0.0);
        assertEquals(-3.0, load.persistenceError(), 0.0);
        Score temp = sink.scores.get(1);
        assertEquals(0.5, temp.error(), 0.0);
        assertEquals(-0.5, temp.persistenceError(), 0.0);
        assertEquals(1, waiting.forecasts().size());
        assertEquals(2, waiting.forecasts().get(0).nextStep(), "steps 2 and 3 still wait");

        sink.scores.clear();
        waiting = Scorer.score("a", waiting, 2 * HOUR, actuals(110, 12), sink);
        assertEquals(-2.0, sink.scores.get(0).error(), 0.0); // 108 - 110
        assertEquals(-10.0, sink.scores.get(0).persistenceError(), 0.0); // 100 - 110
        assertEquals(2, sink.scores.get(0).step());
        assertEquals(0.5, sink.scores.get(1).error(), 0.0); // 12.5 - 12
        assertTrue(sink.skipped.isEmpty());
    }

    @Test
    void shouldCountSkippedTargetTimesAndNotScoreThem() {
        WaitingForecasts waiting = WaitingForecasts.NONE.plus(Scorer.waitingFor(
                forecast(0, 104, 11, 108, 12.5, 90, 9), HOUR, TARGETS, actuals(100, 10)));
        Collected sink = new Collected();

        // The key's next event comes at 3 h: the 1 h and 2 h target times were skipped.
        waiting = Scorer.score("a", waiting, 3 * HOUR, actuals(95, 8), sink);

        assertEquals(List.of("1 load step 1 no_event", "1 temp step 1 no_event", "1 load step 2 no_event",
                "1 temp step 2 no_event"), sink.skipped);
        assertEquals(2, sink.scores.size());
        assertEquals(3, sink.scores.get(0).step());
        assertEquals(-5.0, sink.scores.get(0).error(), 0.0); // 90 - 95
        assertEquals(1.0, sink.scores.get(1).error(), 0.0); // 9 - 8
        assertTrue(waiting.isEmpty(), "a forecast whose last step has passed waits no more");
    }

    @Test
    void shouldKeepStepsWhoseTargetTimeIsStillAheadWhenAnEventComesOffTheCadence() {
        WaitingForecasts waiting = WaitingForecasts.NONE.plus(Scorer.waitingFor(
                forecast(0, 104, 11, 108, 12.5, 90, 9), HOUR, TARGETS, actuals(100, 10)));
        Collected sink = new Collected();

        waiting = Scorer.score("a", waiting, HOUR + HOUR / 2, actuals(1, 1), sink);

        assertTrue(sink.scores.isEmpty());
        assertEquals(List.of("1 load step 1 no_event", "1 temp step 1 no_event"), sink.skipped);
        assertEquals(2, waiting.forecasts().get(0).nextStep());
    }

    @Test
    void shouldLeaveATargetWithoutAUsableActualUnscored() {
        WaitingForecasts waiting = WaitingForecasts.NONE.plus(Scorer.waitingFor(
                forecast(0, 104, 11, 108, 12.5, 90, 9), HOUR, TARGETS, actuals(100, 10)));
        Collected sink = new Collected();

        Scorer.score("a", waiting, HOUR, actuals(103, Double.NaN), sink);

        assertEquals(1, sink.scores.size());
        assertEquals("load", sink.scores.get(0).target());
        assertEquals(List.of("1 temp step 1 no_actual"), sink.skipped);
    }

    @Test
    void shouldScoreForecastsOfEveryWaitingModelVersionByTargetName() {
        WaitingForecasts waiting = WaitingForecasts.NONE
                .plus(Scorer.waitingFor(forecast(0, 104, 11, 108, 12.5, 90, 9), HOUR, TARGETS, actuals(100, 10)))
                .plus(Scorer.waitingFor(forecast(HOUR, 1, 2, 3, 4, 5, 6), HOUR, List.of("temp"), actuals(50, 20)));
        Collected sink = new Collected();

        waiting = Scorer.score("a", waiting, 2 * HOUR, actuals(107, 13), sink);

        assertEquals(3, sink.scores.size());
        Score fromSecond = sink.scores.get(2);
        assertEquals("temp", fromSecond.target());
        assertEquals(1, fromSecond.step());
        assertEquals(2 - 13.0, fromSecond.error(), 0.0);
        assertEquals(20 - 13.0, fromSecond.persistenceError(), 0.0);
        assertEquals(2, waiting.forecasts().size());
    }

    @Test
    void shouldReturnTheSameNothingWhenNothingWaits() {
        assertSame(WaitingForecasts.NONE, Scorer.score("a", WaitingForecasts.NONE, HOUR, actuals(1, 1), new Collected()));
    }
}
