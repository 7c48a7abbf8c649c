package io.carrycast.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.forecast.Forecast;
import java.util.List;

/** Compares forecasts with PyTorch's outputs in normalised units. */
public final class ForecastAssertions {

    private ForecastAssertions() {
    }

    /** The forecast's values back in the model's normalised output order (step-major), rollout steps included. */
    public static float[] normalisedValues(Forecast forecast, ModelCard card) {
        List<TargetSpec> targets = card.targets();
        float[] values = new float[card.forecastSteps() * targets.size()];
        for (Forecast.Point point : forecast.points()) {
            for (int t = 0; t < targets.size(); t++) {
                Double value = point.values().get(targets.get(t).field());
                assertNotNull(value, "forecast lacks target " + targets.get(t).field());
                values[(point.step() - 1) * targets.size() + t] = (float) targets.get(t).normalise(value);
            }
        }
        return values;
    }

    public static void assertMatches(float[] expected, Forecast forecast, ModelCard card, double tolerance,
                                     String where) {
        float[] actual = normalisedValues(forecast, card);
        assertEquals(expected.length, actual.length, where + ": output count");
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, where + ": output " + i);
        }
    }
}
