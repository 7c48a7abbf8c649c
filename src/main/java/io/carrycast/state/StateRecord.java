package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The state store's value for one key: its {@link KeyState}, and, when late events are allowed, its
 * {@link KeyHistory} beside it. Both change with every event the key steps, so they are one store entry and
 * one changelog record rather than two: a late event finds them at the same point after any restart, and
 * each event costs one read and one write of the store.
 *
 * <p>Encoding: without a history, the {@link KeyState} encoding itself (so a store written without late
 * events reads the same). With one (little-endian): {@code byte marker=0x48 ('H'), int stateBytes,
 * byte[stateBytes] KeyState, byte[] KeyHistory} (the history to the end of the value). A {@link KeyState}
 * encoding starts with its version byte, 1, never the marker.
 */
public final class StateRecord {

    private static final byte WITH_HISTORY = 0x48;
    private static final int HEADER_BYTES = 1 + Integer.BYTES;

    private StateRecord() {
    }

    /** The value for a key's state and its history (null: none kept). */
    public static byte[] encode(KeyState state, KeyHistory history) {
        byte[] stateBytes = state.encode();
        if (history == null) {
            return stateBytes;
        }
        byte[] historyBytes = history.encode();
        return ByteBuffer.allocate(HEADER_BYTES + stateBytes.length + historyBytes.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(WITH_HISTORY).putInt(stateBytes.length).put(stateBytes).put(historyBytes).array();
    }

    /** The key's state in a stored value. */
    public static KeyState state(byte[] value) {
        if (!hasHistory(value)) {
            return KeyState.decode(value);
        }
        int stateBytes = stateBytes(value);
        return KeyState.decode(Arrays.copyOfRange(value, HEADER_BYTES, HEADER_BYTES + stateBytes));
    }

    /** The key's history in a stored value, or null when it holds none. */
    public static KeyHistory history(byte[] value) {
        if (!hasHistory(value)) {
            return null;
        }
        return KeyHistory.decode(Arrays.copyOfRange(value, HEADER_BYTES + stateBytes(value), value.length));
    }

    private static boolean hasHistory(byte[] value) {
        return value.length > 0 && value[0] == WITH_HISTORY;
    }

    private static int stateBytes(byte[] value) {
        int stateBytes = value.length < HEADER_BYTES ? -1
                : ByteBuffer.wrap(value, 1, Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (stateBytes < 0 || stateBytes > value.length - HEADER_BYTES) {
            throw new StateFormatException("stored state record has " + value.length + " bytes but declares a state of "
                    + stateBytes + " bytes");
        }
        return stateBytes;
    }
}
