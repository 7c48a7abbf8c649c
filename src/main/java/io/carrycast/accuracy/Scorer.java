package io.carrycast.accuracy;

import io.carrycast.forecast.Forecast;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The scoring rule. When a key's event arrives at time t, each waiting forecast's step whose target time is t
 * is scored, for each target, against the event's value of that target, and so is persistence (the target's
 * value when the forecast was made). With a resampling card the bucket starting at t stands for the event, and
 * its aggregate of the target for the value. Steps whose target time is before t were skipped by the key's
 * events:
 * they are counted ({@link Sink#skipped}), not scored. Steps after t keep waiting. Targets are matched by
 * field name, so forecasts made before a model swap are scored against the fields they forecast.
 *
 * <p>Holds no per-key data: the caller passes a key's {@link WaitingForecasts} in and stores what comes out.
 */
public final class Scorer {

    /** Why a forecast value was not scored. */
    public enum Skip {
        /** No event of the key arrived at the target time (the next one came later). */
        NO_EVENT,
        /** The event at the target time, or at the forecast time, had no usable value of the target. */
        NO_ACTUAL;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** When the actual for a forecast's step arrives. */
    @FunctionalInterface
    public interface TargetTimes {
        /** Events at the cadence: the forecast's time plus the step's cadences. */
        TargetTimes EVERY_CADENCE = (madeAtMs, cadenceMs, step) -> madeAtMs + step * cadenceMs;

        long of(long madeAtMs, long cadenceMs, int step);
    }

    /** Where scores and skips go. */
    public interface Sink {
        void scored(Score score);

        /** One forecast value (one target at one step) left unscored. */
        void skipped(String modelName, String modelVersion, String target, int step, Skip why);
    }

    /**
     * An event's values of target fields.
     *
     * @param fields the target fields read
     * @param values their values, NaN where the event had none usable
     */
    public record Actuals(List<String> fields, double[] values) {
        public double of(String field) {
            int index = fields.indexOf(field);
            return index < 0 ? Double.NaN : values[index];
        }

        /** The fields with a value, in order, and their values: those without one are left out. */
        public Map<String, Double> observed() {
            Map<String, Double> observed = new LinkedHashMap<>();
            for (int i = 0; i < values.length; i++) {
                if (!Double.isNaN(values[i])) {
                    observed.put(fields.get(i), values[i]);
                }
            }
            return observed;
        }
    }

    private Scorer() {
    }

    /**
     * Scores the key's waiting forecasts against its event at {@code eventTimeMs}.
     *
     * @return the forecasts still waiting after this event
     */
    public static WaitingForecasts score(String key, WaitingForecasts waiting, long eventTimeMs, Actuals actuals,
                                         Sink sink) {
        return score(key, waiting, eventTimeMs, actuals, sink, TargetTimes.EVERY_CADENCE);
    }

    /**
     * Scores the key's waiting forecasts against its event (or, resampled, its bucket) at {@code eventTimeMs},
     * with each step's target time given by {@code targetTimes}.
     *
     * @return the forecasts still waiting after this event
     */
    public static WaitingForecasts score(String key, WaitingForecasts waiting, long eventTimeMs, Actuals actuals,
                                         Sink sink, TargetTimes targetTimes) {
        if (waiting.isEmpty()) {
            return waiting;
        }
        List<WaitingForecasts.Waiting> still = new ArrayList<>(waiting.forecasts().size());
        for (WaitingForecasts.Waiting forecast : waiting.forecasts()) {
            int step = forecast.nextStep();
            for (; step <= forecast.steps(); step++) {
                long targetTimeMs = targetTimes.of(forecast.madeAtMs(), forecast.cadenceMs(), step);
                if (targetTimeMs > eventTimeMs) {
                    break;
                }
                boolean arrived = targetTimeMs == eventTimeMs;
                for (int t = 0; t < forecast.targets().size(); t++) {
                    String target = forecast.targets().get(t);
                    if (!arrived) {
                        sink.skipped(forecast.modelName(), forecast.modelVersion(), target, step, Skip.NO_EVENT);
                        continue;
                    }
                    double actual = actuals.of(target);
                    double persistence = forecast.persistence()[t];
                    if (Double.isNaN(actual) || Double.isNaN(persistence)) {
                        sink.skipped(forecast.modelName(), forecast.modelVersion(), target, step, Skip.NO_ACTUAL);
                    } else {
                        sink.scored(new Score(key, forecast.madeAtMs(), eventTimeMs, step, target,
                                forecast.value(step, t), actual, persistence, forecast.modelName(),
                                forecast.modelVersion(), ranges(forecast, step, t), forecast.fromQuantiles()));
                    }
                }
            }
            if (step <= forecast.steps()) {
                still.add(step == forecast.nextStep() ? forecast : forecast.from(step));
            }
        }
        return new WaitingForecasts(still);
    }

    /** The intervals one waiting value was published with, computed as they were published. */
    private static List<Score.Range> ranges(WaitingForecasts.Waiting forecast, int step, int target) {
        if (forecast.levels().length == 0) {
            return List.of();
        }
        double value = forecast.value(step, target);
        List<Score.Range> ranges = new ArrayList<>(forecast.levels().length);
        for (int l = 0; l < forecast.levels().length; l++) {
            if (forecast.fromQuantiles()) {
                double lower = forecast.bound(step, target, l, false);
                double upper = forecast.bound(step, target, l, true);
                if (!Double.isNaN(lower) && !Double.isNaN(upper)) {
                    ranges.add(new Score.Range(forecast.levels()[l], lower, upper));
                }
                continue;
            }
            float halfWidth = forecast.halfWidth(step, target, l);
            if (!Float.isNaN(halfWidth)) {
                ranges.add(new Score.Range(forecast.levels()[l], value - halfWidth, value + halfWidth));
            }
        }
        return ranges;
    }

    /**
     * The forecast as it waits for its actuals, with the persistence baseline taken from the values of the event
     * it was made at.
     */
    public static WaitingForecasts.Waiting waitingFor(Forecast forecast, long cadenceMs, List<String> targets,
                                                      Actuals actualsAtForecast) {
        return waitingFor(forecast, cadenceMs, targets, actualsAtForecast, new double[0], new float[0]);
    }

    /**
     * As {@link #waitingFor(Forecast, long, List, Actuals)}, for a quantile model's forecast: with the bounds of
     * the intervals it carries from the model, as published.
     */
    public static WaitingForecasts.Waiting waitingWithBounds(Forecast forecast, long cadenceMs, List<String> targets,
                                                             Actuals actualsAtForecast) {
        List<Forecast.Point> points = forecast.points();
        double[] levels = points.get(0).intervals().stream().mapToDouble(Forecast.Interval::level).toArray();
        double[] bounds = new double[points.size() * targets.size() * levels.length * 2];
        for (int s = 0; s < points.size(); s++) {
            List<Forecast.Interval> intervals = points.get(s).intervals();
            for (int t = 0; t < targets.size(); t++) {
                for (int l = 0; l < levels.length; l++) {
                    int at = ((s * targets.size() + t) * levels.length + l) * 2;
                    bounds[at] = bound(intervals.get(l).lower().get(targets.get(t)));
                    bounds[at + 1] = bound(intervals.get(l).upper().get(targets.get(t)));
                }
            }
        }
        WaitingForecasts.Waiting plain = waitingFor(forecast, cadenceMs, targets, actualsAtForecast);
        return new WaitingForecasts.Waiting(plain.madeAtMs(), cadenceMs, plain.modelName(), plain.modelVersion(),
                targets, plain.persistence(), 1, plain.values(), levels, new float[0], bounds);
    }

    private static double bound(Double value) {
        return value == null ? Double.NaN : value;
    }

    /**
     * As {@link #waitingFor(Forecast, long, List, Actuals)}, with the half-widths of the intervals it was
     * published with ({@code steps * targets * levels}: step, target, level; NaN where it had none).
     */
    public static WaitingForecasts.Waiting waitingFor(Forecast forecast, long cadenceMs, List<String> targets,
                                                      Actuals actualsAtForecast, double[] levels,
                                                      float[] halfWidths) {
        double[] persistence = new double[targets.size()];
        for (int t = 0; t < targets.size(); t++) {
            persistence[t] = actualsAtForecast.of(targets.get(t));
        }
        List<Forecast.Point> points = forecast.points();
        double[] values = new double[points.size() * targets.size()];
        for (int s = 0; s < points.size(); s++) {
            Map<String, Double> pointValues = points.get(s).values();
            for (int t = 0; t < targets.size(); t++) {
                Double value = pointValues.get(targets.get(t));
                values[s * targets.size() + t] = value == null ? Double.NaN : value;
            }
        }
        return new WaitingForecasts.Waiting(forecast.eventTimeMs(), cadenceMs, forecast.modelName(),
                forecast.modelVersion(), targets, persistence, 1, values, levels, halfWidths);
    }
}
