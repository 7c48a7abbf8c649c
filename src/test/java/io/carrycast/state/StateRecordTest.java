package io.carrycast.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The state store's value: a key's state alone, or with its window, history and waiting forecasts beside it. */
class StateRecordTest {

    private static final KeyState STATE = new KeyState(7L, 3, 1_700_000_000_000L, -5L,
            new float[][] {{0.5f, -1f}, {2f, 0.25f}});
    private static final KeyHistory HISTORY = new KeyHistory(7L, 2, null, null, List.of(
            new KeyHistory.Held(1_699_999_940_000L, new float[] {1f, 2f}, 0, null),
            new KeyHistory.Held(1_700_000_000_000L, new float[] {3f, 4f}, 1, STATE)));

    @Test
    void shouldWriteAStateAloneAsTheStateItself() {
        byte[] value = StateRecord.encode(STATE, null, null, null);

        assertArrayEquals(STATE.encode(), value, "a store written without late events or scoring reads the same");
        assertEquals(STATE.steps(), StateRecord.state(value).steps());
        assertNull(StateRecord.history(value));
        assertNull(StateRecord.waiting(value));
    }

    @Test
    void shouldReadBackEachPartWrittenTogether() {
        byte[] waiting = {9, 8, 7};

        FeatureWindow window = FeatureWindow.empty(2, 3).append(new float[] {1f, 2f}).append(new float[] {3f, 4f});

        byte[] value = StateRecord.encode(STATE, window, HISTORY, waiting);

        KeyState state = StateRecord.state(value);
        assertEquals(STATE.lastEventTimeMs(), state.lastEventTimeMs());
        assertArrayEquals(STATE.tensors()[1], state.tensors()[1]);
        KeyHistory read = StateRecord.history(value);
        assertEquals(2, read.events().size());
        assertEquals(1, read.events().get(1).revision());
        assertArrayEquals(new float[] {3f, 4f}, read.events().get(1).features());
        assertEquals(STATE.steps(), read.events().get(1).snapshot().steps());
        assertArrayEquals(waiting, StateRecord.waiting(value));
        assertArrayEquals(window.values(), StateRecord.window(value).values());
    }

    @Test
    void shouldKeepEachPartWithoutTheOther() {
        byte[] historyOnly = StateRecord.encode(STATE, null, HISTORY, null);
        byte[] waitingOnly = StateRecord.encode(STATE, null, null, new byte[] {1});

        assertEquals(2, StateRecord.history(historyOnly).events().size());
        assertNull(StateRecord.waiting(historyOnly));
        assertNull(StateRecord.history(waitingOnly));
        assertNull(StateRecord.window(historyOnly));
        assertArrayEquals(new byte[] {1}, StateRecord.waiting(waitingOnly));
        assertEquals(STATE.steps(), StateRecord.state(waitingOnly).steps());
    }

    @Test
    void shouldRefuseARecordWhosePartsDoNotFit() {
        byte[] value = StateRecord.encode(STATE, null, null, new byte[] {1, 2, 3});
        byte[] cut = java.util.Arrays.copyOf(value, value.length - 2);

        StateFormatException e = assertThrows(StateFormatException.class, () -> StateRecord.waiting(cut));
        assertEquals("stored state record of " + cut.length + " bytes declares part 3 of 3 bytes with 1 bytes left",
                e.getMessage());
    }
}
