package io.carrycast.testing;

import io.carrycast.accuracy.Score;
import io.carrycast.forecast.Forecast;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The scores the definition gives, computed the plain way for comparison with the live ones: for each forecast
 * point of each key, the key's event at the point's target time (if one was sent) is its actual, and the key's
 * event at the forecast's time gives persistence. Independent of the stream's waiting-forecast bookkeeping.
 */
public final class ReferenceScores {

    private ReferenceScores() {
    }

    /** Every score due, in no particular order; {@link #keyOf} identifies each. */
    public static List<Score> of(List<Fixture.Event> sent, List<Forecast> forecasts, List<String> targets) {
        Map<String, Map<Long, Fixture.Event>> events = new HashMap<>();
        sent.forEach(event -> events.computeIfAbsent(event.key(), k -> new HashMap<>()).put(event.timeMs(), event));
        List<Score> scores = new ArrayList<>();
        for (Forecast forecast : forecasts) {
            Fixture.Event madeAt = events.get(forecast.key()).get(forecast.eventTimeMs());
            for (Forecast.Point point : forecast.points()) {
                Fixture.Event actual = events.get(forecast.key()).get(point.targetTimeMs());
                if (actual == null) {
                    continue;
                }
                for (String target : targets) {
                    scores.add(new Score(forecast.key(), forecast.eventTimeMs(), point.targetTimeMs(), point.step(),
                            target, point.values().get(target), actual.value().get(target).doubleValue(),
                            madeAt.value().get(target).doubleValue(), forecast.modelName(), forecast.modelVersion()));
                }
            }
        }
        return scores;
    }

    /** What a score is of: key, forecast time, step and target. */
    public static String keyOf(Score score) {
        return score.key() + "@" + score.madeAtMs() + "+" + score.step() + ":" + score.target();
    }
}
