package io.carrycast.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carrycast.state.StateFormatException;
import java.util.List;
import org.junit.jupiter.api.Test;

class WaitingForecastsTest {

    @Test
    void shouldReadBackWhatItWrote() {
        WaitingForecasts waiting = WaitingForecasts.NONE
                .plus(new WaitingForecasts.Waiting(1_000, 60_000, "weather-lstm", "1", List.of("temp_max", "wind"),
                        new double[] {9.5, Double.NaN}, 2, new double[] {1.25, 2, 3, 4, 5.5, -6}))
                .plus(new WaitingForecasts.Waiting(61_000, 60_000, "wëather", "2", List.of("temp_max"),
                        new double[] {10}, 1, new double[] {0.1}));

        assertEquals(waiting, WaitingForecasts.decode(waiting.encode()));
        assertEquals(WaitingForecasts.NONE, WaitingForecasts.decode(WaitingForecasts.NONE.encode()));
    }

    @Test
    void shouldRefuseAnotherVersionNamingWhatItFound() {
        byte[] bytes = WaitingForecasts.NONE.encode();
        bytes[0] = 7;
        StateFormatException refused = assertThrows(StateFormatException.class, () -> WaitingForecasts.decode(bytes));
        assertEquals("stored waiting forecasts have 5 bytes and version 7; this build reads versions 1 to 3",
                refused.getMessage());
    }

    @Test
    void shouldRefuseBytesCutShort() {
        byte[] whole = WaitingForecasts.NONE.plus(new WaitingForecasts.Waiting(0, 1, "m", "1", List.of("t"),
                new double[] {1}, 1, new double[] {2})).encode();
        byte[] cut = java.util.Arrays.copyOf(whole, whole.length - 3);
        StateFormatException refused = assertThrows(StateFormatException.class, () -> WaitingForecasts.decode(cut));
        assertEquals("stored waiting forecasts (" + cut.length + " bytes) are cut short or inconsistent: "
                + "java.nio.BufferUnderflowException", refused.getMessage());
    }

    @Test
    void shouldKeepAQuantileModelsBoundsAsPublishedBesideHalfWidthsAndNoIntervals() {
        WaitingForecasts.Waiting quantiles = new WaitingForecasts.Waiting(1_000, 60_000, "q", "1",
                List.of("load", "temp"), new double[] {1, 2}, 1, new double[] {10, 20, 11, 21},
                new double[] {0.8}, new float[0], new double[] {9.1, 10.7, 18.25, 21.5, 9.875, 12.1, 19, 24.03});
        WaitingForecasts.Waiting halves = new WaitingForecasts.Waiting(61_000, 60_000, "m", "1", List.of("load"),
                new double[] {1}, 1, new double[] {5}, new double[] {0.9}, new float[] {0.5f});
        WaitingForecasts waiting = WaitingForecasts.NONE.plus(quantiles).plus(halves)
                .plus(new WaitingForecasts.Waiting(121_000, 60_000, "m", "1", List.of("load"), new double[] {1}, 1,
                        new double[] {5}));

        byte[] encoded = waiting.encode();
        WaitingForecasts read = WaitingForecasts.decode(encoded);

        assertEquals(3, encoded[0], "version 3 when a forecast carries a quantile model's bounds");
        assertEquals(waiting, read);
        WaitingForecasts.Waiting first = read.forecasts().get(0);
        assertEquals(true, first.fromQuantiles());
        assertEquals(9.875, first.bound(2, 0, 0, false), 0.0, "step 2, first target: lower");
        assertEquals(24.03, first.bound(2, 1, 0, true), 0.0, "step 2, second target: upper");
        assertEquals(0.5f, read.forecasts().get(1).halfWidth(1, 0, 0));
        assertEquals(false, read.forecasts().get(1).fromQuantiles());
        assertEquals(2, WaitingForecasts.NONE.plus(halves).encode()[0], "version 2 without a quantile model");
    }

    @Test
    void shouldKeepTheHalfWidthsAForecastWasPublishedWith() {
        WaitingForecasts.Waiting withIntervals = new WaitingForecasts.Waiting(1_000, 60_000, "m", "1",
                List.of("load", "temp"), new double[] {1, 2}, 1, new double[] {10, 20, 11, 21},
                new double[] {0.8, 0.95}, new float[] {1f, Float.NaN, 2f, 3f, 4f, 5f, 6f, Float.NaN});
        WaitingForecasts waiting = WaitingForecasts.NONE.plus(withIntervals)
                .plus(new WaitingForecasts.Waiting(61_000, 60_000, "m", "1", List.of("load"), new double[] {1}, 1,
                        new double[] {5}));

        byte[] encoded = waiting.encode();
        WaitingForecasts read = WaitingForecasts.decode(encoded);

        assertEquals(2, encoded[0], "version 2 when a forecast carries intervals");
        assertEquals(waiting, read);
        assertEquals(6f, read.forecasts().get(0).halfWidth(2, 1, 0), "step 2, second target, level 0.8");
        assertEquals(Float.NaN, read.forecasts().get(0).halfWidth(2, 1, 1));
        assertEquals(0, read.forecasts().get(1).levels().length, "a forecast without intervals has none");
        assertEquals(1, WaitingForecasts.NONE.plus(read.forecasts().get(1)).encode()[0],
                "version 1 when none carries intervals, as before them");
    }
}
