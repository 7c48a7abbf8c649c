package io.carrycast.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.accuracy.Score;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.forecast.Forecast;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The quantile-head fixture of {@code tools/export_quantile_model.py} ({@code fixtures/quantile_lstm}): an LSTM
 * whose output is, per step, each target's 0.1, 0.5 and 0.9 quantiles, with a 3-step rollout that feeds back
 * the medians; {@code expected.json} holds PyTorch's normalised outputs of every rollout step per event.
 */
public final class QuantileReference {

    public static final String MODEL = "quantile_lstm";
    public static final List<String> TARGETS = List.of("temp_max", "temp_min");
    public static final double LEVEL = 0.8;

    private QuantileReference() {
    }

    /**
     * Asserts each key's forecasts carry PyTorch's medians as values and its 0.1 / 0.9 quantiles as the 0.8
     * interval, every step (rollout steps included), de-normalised with the target's statistics, within the
     * fixture's tolerance.
     *
     * @return the largest difference found, in the targets' units
     */
    public static double assertSameQuantiles(Fixture fixture, Map<String, List<Forecast>> byKey) {
        ModelCard card = fixture.card();
        double largest = 0;
        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            List<Forecast> forecasts = byKey.get(key);
            assertEquals(expected.size(), forecasts.size(), key + ": one forecast per event");
            for (int e = 0; e < expected.size(); e++) {
                Forecast forecast = forecasts.get(e);
                assertEquals(fixture.events(key).get(e).timeMs(), forecast.eventTimeMs(), key + " event " + e);
                assertEquals(card.forecastSteps(), forecast.points().size(), key + " event " + e + ": steps");
                for (Forecast.Point point : forecast.points()) {
                    largest = Math.max(largest, assertPoint(card, expected.get(e), point, fixture.tolerance(),
                            key + " event " + e + " step " + point.step()));
                }
            }
        }
        return largest;
    }

    private static double assertPoint(ModelCard card, float[] outputs, Forecast.Point point, double tolerance,
                                      String where) {
        assertEquals(1, point.intervals().size(), where + ": one interval, the pair 0.1 / 0.9");
        Forecast.Interval interval = point.intervals().get(0);
        assertEquals(LEVEL, interval.level(), 0.0, where + ": level");
        double largest = 0;
        for (int t = 0; t < card.targets().size(); t++) {
            TargetSpec target = card.targets().get(t);
            int first = ((point.step() - 1) * card.targets().size() + t) * 3;
            double[] want = {target.denormalise(outputs[first]), target.denormalise(outputs[first + 1]),
                target.denormalise(outputs[first + 2])};
            double[] got = {interval.lower().get(target.field()), point.values().get(target.field()),
                interval.upper().get(target.field())};
            for (int q = 0; q < 3; q++) {
                assertEquals(want[q], got[q], tolerance, where + " " + target.field() + " quantile " + q);
                largest = Math.max(largest, Math.abs(want[q] - got[q]));
            }
        }
        return largest;
    }

    /** A scored value computed here from a published forecast and the event at its target time. */
    public record Due(Forecast forecast, int step, String target, double actual) {
        public double median() {
            return forecast.points().get(step - 1).values().get(target);
        }

        public Score.Range range() {
            Forecast.Interval interval = forecast.points().get(step - 1).intervals().get(0);
            return new Score.Range(interval.level(), interval.lower().get(target), interval.upper().get(target));
        }

        /**
         * The pinball loss from its definition, max(q (y - p), (q - 1)(y - p)), averaged over the quantiles 0.1,
         * 0.5 and 0.9.
         */
        public double pinball() {
            Score.Range range = range();
            return (loss(0.1, range.lower()) + loss(0.5, median()) + loss(0.9, range.upper())) / 3;
        }

        private double loss(double q, double predicted) {
            double d = actual - predicted;
            return Math.max(q * d, (q - 1) * d);
        }
    }

    /** Every published value with an event at its target time, from the events as sent. */
    public static List<Due> due(List<Fixture.Event> events, List<Forecast> forecasts) {
        Map<String, Fixture.Event> byKeyAndTime = new HashMap<>();
        events.forEach(event -> byKeyAndTime.put(event.key() + "@" + event.timeMs(), event));
        List<Due> due = new ArrayList<>();
        for (Forecast forecast : forecasts) {
            for (Forecast.Point point : forecast.points()) {
                Fixture.Event actual = byKeyAndTime.get(forecast.key() + "@" + point.targetTimeMs());
                for (String target : actual == null ? List.<String>of() : TARGETS) {
                    due.add(new Due(forecast, point.step(), target, actual.value().get(target).doubleValue()));
                }
            }
        }
        return due;
    }
}
