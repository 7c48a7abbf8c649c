package io.carrycast.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class KeyStateTest {

    @Test
    void shouldRoundTripEveryFieldBitForBit() {
        float[][] tensors = {{1.5f, -0f, Float.MIN_VALUE, 3e38f}, {0.25f, -7f, 1e-30f, 42f}};
        KeyState state = new KeyState(0x0123456789ABCDEFL, 17, 1_700_000_000_123L, -5L, tensors);

        KeyState decoded = KeyState.decode(state.encode());

        assertEquals(0x0123456789ABCDEFL, decoded.modelFingerprint());
        assertEquals(17, decoded.steps());
        assertEquals(1_700_000_000_123L, decoded.lastEventTimeMs());
        assertEquals(-5L, decoded.lastEventDigest());
        assertArrayEquals(tensors[0], decoded.tensors()[0]);
        assertArrayEquals(tensors[1], decoded.tensors()[1]);
    }

    @Test
    void shouldStoreAnLstm64StateIn550Bytes() {
        assertEquals(550, KeyState.initial(1L, 2, 64).encode().length);
    }

    @Test
    void shouldRefuseBytesOfAnotherFormatVersion() {
        byte[] bytes = KeyState.initial(1L, 1, 4).encode();
        bytes[0] = 9;
        StateFormatException e = assertThrows(StateFormatException.class, () -> KeyState.decode(bytes));
        assertEquals("stored key state has 54 bytes and version 9; this build reads version 1", e.getMessage());
    }

    @Test
    void shouldRefuseTruncatedBytes() {
        byte[] bytes = KeyState.initial(1L, 1, 4).encode();
        byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 4);
        StateFormatException e = assertThrows(StateFormatException.class, () -> KeyState.decode(truncated));
        assertEquals("stored key state declares 1 x 4 floats but holds 12 bytes of them", e.getMessage());
    }
}
