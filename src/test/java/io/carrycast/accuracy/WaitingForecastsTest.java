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
        assertEquals("stored waiting forecasts have 5 bytes and version 7; this build reads version 1",
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
}
