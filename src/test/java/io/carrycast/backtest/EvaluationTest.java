package io.carrycast.backtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each forecast step scored on its own, against persistence carried forward to that step. */
class EvaluationTest {

    private static final double EXACT = 1e-12;
    private static final long HOUR = 3_600_000L;
    private static final long T0 = 1_700_000_000_000L;
    private static final ModelCard CARD = Fixture.load("rollout_lstm").card();

    /** level observed 10, 12, 11, 15 at T0 .. T0 + 3 h; nothing at T0 + 4 h. */
    private static Evaluation observed(java.util.function.LongPredicate filter) {
        Evaluation evaluation = new Evaluation(CARD, filter);
        double[] levels = {10, 12, 11, 15};
        for (int i = 0; i < levels.length; i++) {
            evaluation.addActual("k", T0 + i * HOUR, Map.of("level", levels[i]));
        }
        evaluation.addForecast(forecast(T0, 11, 13, 14));
        evaluation.addForecast(forecast(T0 + HOUR, 12.5, 14, 20));
        return evaluation;
    }

    @Test
    void shouldScoreEachStepOnItsOwnRowAgainstPersistenceCarriedToThatStep() {
        List<Evaluation.Score> scores = observed(t -> true).scores();

        // Step 1: model errors -1 and +1.5; persistence (10, then 12) errors -2 and +1.
        assertScore(scores.get(0), 1, 2, 1.25, Math.sqrt(1.625), 1.5, Math.sqrt(2.5));
        // Step 2: model +2 and -1; persistence -1 and -3.
        assertScore(scores.get(1), 2, 2, 1.5, Math.sqrt(2.5), 2.0, Math.sqrt(5));
        // Step 3: only the first forecast's target (15) was observed: model -1, persistence -5.
        assertScore(scores.get(2), 3, 1, 1.0, 1.0, 5.0, 5.0);
        assertEquals(3, scores.size());
    }

    @Test
    void shouldCountOnlyPointsWhoseTargetTimePassesTheFilter() {
        List<Evaluation.Score> scores = observed(t -> t < T0 + 3 * HOUR).scores();

        assertScore(scores.get(0), 1, 2, 1.25, Math.sqrt(1.625), 1.5, Math.sqrt(2.5));
        assertScore(scores.get(1), 2, 1, 2.0, 2.0, 1.0, 1.0);
        assertEquals(2, scores.size());
        assertEquals(List.of(scores.get(1)), Evaluation.atStep(scores, 2));
    }

    @Test
    void shouldPrintOneRowPerKeyTargetAndStep() {
        String table = Evaluation.table(observed(t -> true).scores());

        assertEquals(List.of(
                "key              target       step      n  MAE model  MAE pers. RMSE model RMSE pers.",
                "k                level           1      2      1.250      1.500      1.275      1.581",
                "k                level           2      2      1.500      2.000      1.581      2.236",
                "k                level           3      1      1.000      5.000      1.000      5.000"),
                table.lines().toList());
    }

    private static Forecast forecast(long eventTime, double... levels) {
        List<Forecast.Point> points = new java.util.ArrayList<>();
        for (int step = 1; step <= levels.length; step++) {
            points.add(new Forecast.Point(step, eventTime + step * HOUR, Map.of("level", levels[step - 1]), step > 1));
        }
        return new Forecast("k", eventTime, "m", "1", "stateful", 1, null, points);
    }

    private static void assertScore(Evaluation.Score score, int step, int count, double maeModel, double rmseModel,
                                    double maePersistence, double rmsePersistence) {
        String where = "step " + step;
        assertEquals("k", score.key(), where);
        assertEquals("level", score.target(), where);
        assertEquals(step, score.step(), where);
        assertEquals(count, score.count(), where);
        assertEquals(maeModel, score.maeModel(), EXACT, where);
        assertEquals(rmseModel, score.rmseModel(), EXACT, where);
        assertEquals(maePersistence, score.maePersistence(), EXACT, where);
        assertEquals(rmsePersistence, score.rmsePersistence(), EXACT, where);
    }
}
