package io.carrycast.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The state store's value: a key's state alone, or its state and late-event history in one record. */
class StateRecordTest {

    private static final KeyState STATE = new KeyState(7L, 3, 1_700_000_000_000L, -5L,
            new float[][] {{0.5f, -1f}, {2f, 0.25f}});

    @Test
    void shouldWriteAStateWithoutHistoryAsTheStateItself() {
        byte[] value = StateRecord.encode(STATE, null);

        assertArrayEquals(STATE.encode(), value, "a store written without late events reads the same");
        assertEquals(STATE.steps(), StateRecord.state(value).steps());
        assertNull(StateRecord.history(value));
    }

    @Test
    void shouldReadBackTheStateAndTheHistoryWrittenTogether() {
        KeyHistory history = new KeyHistory(7L, 2, null, null, List.of(
                new KeyHistory.Held(1_699_999_940_000L, new float[] {1f, 2f}, 0, null),
                new KeyHistory.Held(1_700_000_000_000L, new float[] {3f, 4f}, 1, STATE)));

        byte[] value = StateRecord.encode(STATE, history);

        KeyState state = StateRecord.state(value);
        assertEquals(STATE.lastEventTimeMs(), state.lastEventTimeMs());
        assertArrayEquals(STATE.tensors()[1], state.tensors()[1]);
        KeyHistory read = StateRecord.history(value);
        assertEquals(2, read.events().size());
        assertEquals(1, read.events().get(1).revision());
        assertArrayEquals(new float[] {3f, 4f}, read.events().get(1).features());
        assertEquals(STATE.steps(), read.events().get(1).snapshot().steps());
    }

    @Test
    void shouldRefuseARecordWhoseStateLengthDoesNotFit() {
        byte[] value = StateRecord.encode(STATE, new KeyHistory(7L, 2, null, null, List.of()));
        value[1] = 0x7f;

        StateFormatException e = assertThrows(StateFormatException.class, () -> StateRecord.state(value));
        assertEquals("stored state record has " + value.length + " bytes but declares a state of "
                + (STATE.encode().length - (STATE.encode().length & 0xff) + 0x7f) + " bytes", e.getMessage());
    }
}
