package io.carrycast.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeyHistoryTest {

    private static final KeyState BASE = new KeyState(7L, 3, 1_000L, 42L, new float[][] {{1f, 2f}, {3f, 4f}});

    @Test
    void shouldReadBackWhatItWrites() {
        KeyHistory history = new KeyHistory(7L, 2, BASE, FeatureWindow.empty(2, 3).append(new float[] {5f, 6f}),
                List.of(new KeyHistory.Held(2_000L, new float[] {0.5f, -0.5f}, 0, null),
                        new KeyHistory.Held(3_000L, new float[] {1.5f, 2.5f}, 2,
                                BASE.advance(7L, 3_000L, 9L, new float[][] {{9f, 8f}, {7f, 6f}})),
                        new KeyHistory.Held(4_000L, new float[] {3f, 4f}, KeyHistory.NO_FORECAST, null)));

        KeyHistory read = KeyHistory.decode(history.encode());

        assertArrayEquals(history.encode(), read.encode());
        assertEquals(3, read.events().size());
        assertEquals(2, read.events().get(1).revision());
        assertArrayEquals(new float[] {7f, 6f}, read.events().get(1).snapshot().tensors()[1]);
        assertArrayEquals(new float[] {5f, 6f}, read.baseWindow().values());
        assertEquals(1_000L, read.baseTimeMs());
        assertEquals(4_000L, read.latestTimeMs());
    }

    @Test
    void shouldReadBackAHistoryThatStartsWithItsKey() {
        KeyHistory history = new KeyHistory(7L, 1, null, null,
                List.of(new KeyHistory.Held(2_000L, new float[] {1f}, 0, null)));

        KeyHistory read = KeyHistory.decode(history.encode());

        assertNull(read.baseState());
        assertNull(read.baseWindow());
        assertEquals(Long.MIN_VALUE, read.baseTimeMs());
    }

    @Test
    void shouldMoveTheBaseToASnapshotAndItsWindowOnWhenLettingEventsGo() {
        KeyState snapshot = BASE.advance(7L, 3_000L, 9L, new float[][] {{9f, 8f}, {7f, 6f}});
        KeyHistory history = new KeyHistory(7L, 1, BASE, FeatureWindow.empty(1, 2).append(new float[] {1f}),
                List.of(new KeyHistory.Held(2_000L, new float[] {2f}, 0, null),
                        new KeyHistory.Held(3_000L, new float[] {3f}, 0, snapshot),
                        new KeyHistory.Held(4_000L, new float[] {4f}, 0, null)));

        KeyHistory trimmed = history.dropThrough(1, 2);

        assertEquals(snapshot, trimmed.baseState());
        assertArrayEquals(new float[] {2f, 3f}, trimmed.baseWindow().values());
        assertEquals(List.of(4_000L), trimmed.events().stream().map(KeyHistory.Held::eventTimeMs).toList());
        IllegalArgumentException noSnapshot = assertThrows(IllegalArgumentException.class,
                () -> history.dropThrough(0, 2));
        assertEquals("held event 0 has no snapshot to become the base", noSnapshot.getMessage());
    }

    @Test
    void shouldRefuseAnotherVersion() {
        byte[] bytes = new KeyHistory(7L, 1, null, null, List.of()).encode();
        bytes[0] = 9;
        StateFormatException refused = assertThrows(StateFormatException.class, () -> KeyHistory.decode(bytes));
        assertEquals("stored key history has " + bytes.length + " bytes and version 9; this build reads version 1",
                refused.getMessage());
    }
}
