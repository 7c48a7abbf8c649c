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
        byte[] value = new StateRecord(STATE, null, null, null).encode();

        assertArrayEquals(STATE.encode(), value, "a store written without late events or scoring reads the same");
        assertEquals(STATE.steps(), StateRecord.decode(value).state().steps());
        assertNull(StateRecord.decode(value).history());
        assertNull(StateRecord.decode(value).waiting());
    }

    @Test
    void shouldReadBackEachPartWrittenTogether() {
        byte[] waiting = {9, 8, 7};

        FeatureWindow window = FeatureWindow.empty(2, 3).append(new float[] {1f, 2f}).append(new float[] {3f, 4f});

        byte[] value = new StateRecord(STATE, window, HISTORY, waiting).encode();

        KeyState state = StateRecord.decode(value).state();
        assertEquals(STATE.lastEventTimeMs(), state.lastEventTimeMs());
        assertArrayEquals(STATE.tensors()[1], state.tensors()[1]);
        KeyHistory read = StateRecord.decode(value).history();
        assertEquals(2, read.events().size());
        assertEquals(1, read.events().get(1).revision());
        assertArrayEquals(new float[] {3f, 4f}, read.events().get(1).features());
        assertEquals(STATE.steps(), read.events().get(1).snapshot().steps());
        assertArrayEquals(waiting, StateRecord.decode(value).waiting());
        assertArrayEquals(window.values(), StateRecord.decode(value).window().values());
    }

    @Test
    void shouldKeepEachPartWithoutTheOther() {
        byte[] historyOnly = new StateRecord(STATE, null, HISTORY, null).encode();
        byte[] waitingOnly = new StateRecord(STATE, null, null, new byte[] {1}).encode();

        assertEquals(2, StateRecord.decode(historyOnly).history().events().size());
        assertNull(StateRecord.decode(historyOnly).waiting());
        assertNull(StateRecord.decode(waitingOnly).history());
        assertNull(StateRecord.decode(historyOnly).window());
        assertArrayEquals(new byte[] {1}, StateRecord.decode(waitingOnly).waiting());
        assertEquals(STATE.steps(), StateRecord.decode(waitingOnly).state().steps());
    }

    @Test
    void shouldRefuseARecordWhosePartsDoNotFit() {
        byte[] value = new StateRecord(STATE, null, null, new byte[] {1, 2, 3}).encode();
        byte[] cut = java.util.Arrays.copyOf(value, value.length - 2);

        StateFormatException e = assertThrows(StateFormatException.class, () -> StateRecord.decode(cut).waiting());
        assertEquals("stored state record of " + cut.length + " bytes declares part 3 of 3 bytes with 1 bytes left",
                e.getMessage());
    }

    @Test
    void shouldReadARecordWrittenBeforeIntervalErrorsAsHavingNone() {
        // The layout before interval errors: marker, state, then window, history and waiting forecasts.
        byte[] state = STATE.encode();
        java.nio.ByteBuffer old = java.nio.ByteBuffer.allocate(1 + 4 + state.length + 4 + 4 + 4 + 2)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        old.put((byte) 0x52).putInt(state.length).put(state).putInt(-1).putInt(-1).putInt(2).put(new byte[] {4, 5});

        StateRecord read = StateRecord.decode(old.array());

        assertArrayEquals(new byte[] {4, 5}, read.waiting());
        assertNull(read.errors());
        assertArrayEquals(old.array(), new StateRecord(STATE, null, null, new byte[] {4, 5}).encode(),
                "a record without interval errors is written as before");
    }

    @Test
    void shouldKeepIntervalErrorsWithTheWaitingForecasts() {
        byte[] value = new StateRecord(STATE, null, HISTORY, new byte[] {1}, new byte[] {7, 7, 7}).encode();

        assertArrayEquals(new byte[] {7, 7, 7}, StateRecord.decode(value).errors());
        assertNull(StateRecord.decode(value, false, true, false).errors(), "read only with the waiting forecasts");
        assertEquals(2, StateRecord.decode(value).history().events().size());
        byte[] errorsOnly = new StateRecord(STATE, null, null, null, new byte[] {3}).encode();
        assertArrayEquals(new byte[] {3}, StateRecord.decode(errorsOnly).errors());
        assertNull(StateRecord.decode(errorsOnly).waiting());
    }
}
