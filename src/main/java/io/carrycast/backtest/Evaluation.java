package io.carrycast.backtest;

import io.carrycast.accuracy.ErrorTally;
import io.carrycast.accuracy.IntervalTally;
import io.carrycast.accuracy.PinballTally;
import io.carrycast.accuracy.Score.Range;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.forecast.Forecast;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongPredicate;

/**
 * Scores forecasts against what happened: for every forecast point whose target time has an observed
 * value, the model's error and the persistence baseline's (the value at the forecast's event time carried
 * forward to the point's step), and, per level the point has an interval at, the interval's coverage, width
 * and interval (Winkler) score; for a quantile model's forecasts (its median the value, its quantile pairs the
 * intervals) also the pinball loss. Each step is scored on its own, so the scores show how the error grows
 * with the distance ahead. Only points whose target time passes the filter count.
 */
public final class Evaluation {

    /** The target fields scored: the card's, or with routes every route's card's. */
    private final List<String> targets;
    private final LongPredicate targetTimeFilter;
    /** The model name and version of each quantile model among the cards. */
    private final java.util.Set<List<String>> quantileModels;
    private final Map<String, Map<Long, Map<String, Double>>> actuals = new HashMap<>();
    /** Per key and event time, the latest revision of its forecast. */
    private final Map<List<Object>, Forecast> forecasts = new java.util.LinkedHashMap<>();

    public Evaluation(ModelCard card, LongPredicate targetTimeFilter) {
        this(List.of(card), targetTimeFilter);
    }

    /**
     * An evaluation of forecasts of several models (routes): each forecast is scored on the targets of the
     * cards it holds.
     */
    public Evaluation(List<ModelCard> cards, LongPredicate targetTimeFilter) {
        this.targets = cards.stream().flatMap(card -> card.targets().stream()).map(TargetSpec::field).distinct()
                .toList();
        this.targetTimeFilter = targetTimeFilter;
        this.quantileModels = cards.stream().filter(ModelCard::hasQuantiles)
                .map(card -> List.of(card.name(), card.version())).collect(java.util.stream.Collectors.toSet());
    }

    /** Records the target fields' observed values of one event. */
    public void addActual(String key, long timeMs, Map<String, Double> values) {
        actuals.computeIfAbsent(key, k -> new HashMap<>()).put(timeMs, values);
    }

    /** Records a forecast; a later revision of a forecast at the same key and event time replaces it. */
    public void addForecast(Forecast forecast) {
        forecasts.put(List.of(forecast.key(), forecast.eventTimeMs()), forecast);
    }

    /**
     * Per key, target and step: the model's and the baseline's MAE and RMSE over the same points, ordered
     * by key, target and step.
     */
    public List<Score> scores() {
        Map<Cell, ErrorTally> byKeyTargetAndStep = new HashMap<>();
        Map<Cell, Map<Double, IntervalTally>> intervals = new HashMap<>();
        Map<Cell, PinballTally> pinball = new HashMap<>();
        for (Forecast forecast : forecasts.values()) {
            Map<Long, Map<String, Double>> observed = actuals.getOrDefault(forecast.key(), Map.of());
            Map<String, Double> atForecastTime = observed.get(forecast.eventTimeMs());
            boolean quantiles = quantileModels.contains(List.of(forecast.modelName(), forecast.modelVersion()));
            for (Forecast.Point point : forecast.points()) {
                Map<String, Double> atTarget = observed.get(point.targetTimeMs());
                if (atTarget == null || atForecastTime == null || !targetTimeFilter.test(point.targetTimeMs())) {
                    continue;
                }
                for (String target : targets) {
                    Double actual = atTarget.get(target);
                    Double persistence = atForecastTime.get(target);
                    Double forecastValue = point.values().get(target);
                    if (actual == null || persistence == null || forecastValue == null) {
                        continue;
                    }
                    double error = forecastValue - actual;
                    double persistenceError = persistence - actual;
                    Cell cell = new Cell(forecast.key(), target, point.step());
                    byKeyTargetAndStep.compute(cell,
                            (c, tally) -> (tally == null ? ErrorTally.EMPTY : tally).add(error, persistenceError));
                    List<Range> ranges = ranges(point, target);
                    Map<Double, IntervalTally> tallies = intervals.computeIfAbsent(cell, c -> new TreeMap<>());
                    ranges.forEach(range -> tallies.merge(range.level(), IntervalTally.EMPTY.add(range, actual),
                            (sum, one) -> sum.add(range, actual)));
                    if (quantiles) {
                        double loss = io.carrycast.accuracy.Score.pinball(forecastValue, ranges, actual);
                        pinball.merge(cell, PinballTally.EMPTY.add(loss), (sum, one) -> sum.add(loss));
                    }
                }
            }
        }
        return byKeyTargetAndStep.entrySet().stream()
                .map(e -> Score.of(e.getKey().key(), e.getKey().target(), e.getKey().step(), e.getValue(),
                        intervals.getOrDefault(e.getKey(), Map.of()), pinball.getOrDefault(e.getKey(),
                                PinballTally.EMPTY)))
                .sorted(Comparator.comparing(Score::key).thenComparing(Score::target).thenComparingInt(Score::step))
                .toList();
    }

    /** The point's intervals of one target whose bounds are known, levels ascending. */
    private static List<Range> ranges(Forecast.Point point, String target) {
        List<Range> ranges = new java.util.ArrayList<>(point.intervals().size());
        for (Forecast.Interval interval : point.intervals()) {
            Double lower = interval.lower().get(target);
            Double upper = interval.upper().get(target);
            if (lower != null && upper != null) {
                ranges.add(new Range(interval.level(), lower, upper));
            }
        }
        return ranges;
    }

    /**
     * A text table of the scores, one row per key, target and step; with intervals, per level the values with an
     * interval, its coverage in percent, mean width and mean interval (Winkler) score; with a quantile model, the
     * mean pinball loss.
     */
    public static String table(List<Score> scores) {
        List<Double> levels = scores.stream().flatMap(s -> s.intervals().keySet().stream()).distinct().sorted()
                .toList();
        boolean pinball = scores.stream().anyMatch(s -> s.pinball().count() > 0);
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-16s %-12s %4s %6s %10s %10s %10s %10s",
                "key", "target", "step", "n", "MAE model", "MAE pers.", "RMSE model", "RMSE pers."));
        for (double level : levels) {
            String at = String.format(Locale.ROOT, "@%.3g", level);
            out.append(String.format(Locale.ROOT, " %8s %8s %10s %10s", "n" + at, "cov%" + at, "width" + at,
                    "winkler" + at));
        }
        out.append(pinball ? String.format(Locale.ROOT, " %10s", "pinball") : "").append(System.lineSeparator());
        for (Score s : scores) {
            out.append(String.format(Locale.ROOT, "%-16s %-12s %4d %6d %10.3f %10.3f %10.3f %10.3f", s.key(),
                    s.target(), s.step(), s.count(), s.maeModel(), s.maePersistence(), s.rmseModel(),
                    s.rmsePersistence()));
            for (double level : levels) {
                IntervalTally tally = s.intervals().getOrDefault(level, IntervalTally.EMPTY);
                out.append(String.format(Locale.ROOT, " %8d %8.1f %10.3f %10.3f", tally.count(),
                        100 * tally.coverage(), tally.meanWidth(), tally.meanWinkler()));
            }
            out.append(pinball ? String.format(Locale.ROOT, " %10.4f", s.pinball().mean()) : "")
                    .append(System.lineSeparator());
        }
        return out.toString();
    }

    /** The scores of one step: for step 1, the next-event forecasts. */
    public static List<Score> atStep(List<Score> scores, int step) {
        return scores.stream().filter(score -> score.step() == step).toList();
    }

    /**
     * One key's, target's and step's errors, model against persistence, over {@code count} points, its
     * intervals' tallies per level (empty without intervals) and a quantile model's pinball losses (empty for
     * other models).
     */
    public record Score(String key, String target, int step, int count, double maeModel, double rmseModel,
                        double maePersistence, double rmsePersistence, Map<Double, IntervalTally> intervals,
                        PinballTally pinball) {

        public Score {
            intervals = java.util.Collections.unmodifiableMap(new TreeMap<>(intervals));
        }

        /** The scores of one key's, target's and step's tally. */
        public static Score of(String key, String target, int step, ErrorTally tally) {
            return of(key, target, step, tally, Map.of(), PinballTally.EMPTY);
        }

        /** The scores of one key's, target's and step's tallies: errors, intervals and pinball losses. */
        public static Score of(String key, String target, int step, ErrorTally tally,
                               Map<Double, IntervalTally> intervals, PinballTally pinball) {
            return new Score(key, target, step, Math.toIntExact(tally.count()), tally.mae(), tally.rmse(),
                    tally.persistenceMae(), tally.persistenceRmse(), intervals, pinball);
        }

        public boolean modelBeatsPersistence() {
            return maeModel < maePersistence;
        }
    }

    private record Cell(String key, String target, int step) {
    }
}
