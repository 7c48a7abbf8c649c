package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The state store's value for one key: its {@link KeyState} and, beside it, what else changes with every
 * event the key steps: its {@link FeatureWindow} when the card keeps one, its {@link KeyHistory} when late
 * events are allowed, and its forecasts waiting for their actuals when forecasts are scored (the encoding of
 * {@code io.carrycast.accuracy.WaitingForecasts}).
 * One store entry and one changelog record rather than one per part: each event costs one read and one
 * write of the store, and the parts are restored to the same point after any restart.
 *
 * <p>Encoding: with no other part, the {@link KeyState} encoding itself (so a store written without a window,
 * late events or scoring reads the same). Otherwise (little-endian): {@code byte marker=0x52 ('R'),
 * int stateBytes, byte[stateBytes] KeyState}, then for the window, the history and the waiting forecasts in
 * turn {@code int bytes (-1: none), byte[bytes]}. A {@link KeyState} encoding starts with its version byte, 1,
 * never the marker.
 */
public final class StateRecord {

    private static final byte WITH_PARTS = 0x52;
    private static final int NONE = -1;
    private static final int STATE = 0;
    private static final int WINDOW = 1;
    private static final int HISTORY = 2;
    private static final int WAITING = 3;

    private StateRecord() {
    }

    /**
     * The value for a key's state, its window, its history and its waiting forecasts' encoding (each null when
     * not kept).
     */
    public static byte[] encode(KeyState state, FeatureWindow window, KeyHistory history, byte[] waiting) {
        byte[] stateBytes = state.encode();
        if (window == null && history == null && waiting == null) {
            return stateBytes;
        }
        byte[] windowBytes = window == null ? null : window.encode();
        byte[] historyBytes = history == null ? null : history.encode();
        ByteBuffer buffer = ByteBuffer.allocate(1 + 4 * Integer.BYTES + stateBytes.length + length(windowBytes)
                + length(historyBytes) + length(waiting)).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(WITH_PARTS).putInt(stateBytes.length).put(stateBytes);
        putPart(buffer, windowBytes);
        putPart(buffer, historyBytes);
        putPart(buffer, waiting);
        return buffer.array();
    }

    private static int length(byte[] part) {
        return part == null ? 0 : part.length;
    }

    /** The key's state in a stored value. */
    public static KeyState state(byte[] value) {
        if (!hasParts(value)) {
            return KeyState.decode(value);
        }
        byte[] state = part(value, STATE);
        if (state == null) {
            throw new StateFormatException("stored state record of " + value.length + " bytes holds no state");
        }
        return KeyState.decode(state);
    }

    /** The key's window in a stored value, or null when it holds none. */
    public static FeatureWindow window(byte[] value) {
        byte[] window = hasParts(value) ? part(value, WINDOW) : null;
        return window == null ? null : FeatureWindow.decode(window);
    }

    /** The key's history in a stored value, or null when it holds none. */
    public static KeyHistory history(byte[] value) {
        byte[] history = hasParts(value) ? part(value, HISTORY) : null;
        return history == null ? null : KeyHistory.decode(history);
    }

    /** The encoding of the key's waiting forecasts in a stored value, or null when it holds none. */
    public static byte[] waiting(byte[] value) {
        return hasParts(value) ? part(value, WAITING) : null;
    }

    private static void putPart(ByteBuffer buffer, byte[] part) {
        if (part == null) {
            buffer.putInt(NONE);
        } else {
            buffer.putInt(part.length).put(part);
        }
    }

    private static boolean hasParts(byte[] value) {
        return value.length > 0 && value[0] == WITH_PARTS;
    }

    /** Part {@code index} ({@link #STATE}, {@link #WINDOW}, {@link #HISTORY}, {@link #WAITING}); null when absent. */
    private static byte[] part(byte[] value, int index) {
        ByteBuffer buffer = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        buffer.get();
        for (int i = 0; ; i++) {
            int length = buffer.remaining() < Integer.BYTES ? Integer.MIN_VALUE : buffer.getInt();
            if (length < NONE || length > buffer.remaining()) {
                throw new StateFormatException("stored state record of " + value.length + " bytes declares part "
                        + i + " of " + (length == Integer.MIN_VALUE ? "no length" : length + " bytes") + " with "
                        + buffer.remaining() + " bytes left");
            }
            if (i == index) {
                return length == NONE ? null
                        : Arrays.copyOfRange(value, buffer.position(), buffer.position() + length);
            }
            buffer.position(buffer.position() + Math.max(0, length));
        }
    }
}
