package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The state store's value for one key: its {@link KeyState} and, beside it, what else changes with every
 * event the key steps: its {@link FeatureWindow} when the card keeps one, its {@link KeyHistory} when late
 * events are allowed, and its forecasts waiting for their actuals when forecasts are scored (the encoding of
 * {@code io.carrycast.accuracy.WaitingForecasts}) and, when intervals are on, its recent forecast errors (the
 * encoding of {@code io.carrycast.accuracy.IntervalErrors}). One store entry and one changelog record rather than one per
 * part: each event costs one read and one write of the store, and the parts are restored to the same point
 * after any restart.
 *
 * <p>Encoding: with no other part, the {@link KeyState} encoding itself (so a store written without a window,
 * late events or scoring reads the same). Otherwise (little-endian): {@code byte marker=0x52 ('R'),
 * int stateBytes, byte[stateBytes] KeyState}, then for the window, the history, the waiting forecasts and the
 * interval errors in turn {@code int bytes (-1: none), byte[bytes]}; a value without interval errors ends after
 * the waiting forecasts, as values written before they existed do. A {@link KeyState} encoding starts with
 * its version byte, 1, never the marker.
 *
 * @param state   the key's state; null only in {@link #NONE}
 * @param window  its window, or null when none is kept (or it was not asked for when decoding)
 * @param history its history, or null likewise
 * @param waiting the encoding of its waiting forecasts, or null likewise
 * @param errors  the encoding of its interval errors, or null likewise (read with the waiting forecasts)
 */
public record StateRecord(KeyState state, FeatureWindow window, KeyHistory history, byte[] waiting,
                          byte[] errors) {

    /** A key with nothing stored. */
    public static final StateRecord NONE = new StateRecord(null, null, null, null, null);

    private static final byte WITH_PARTS = 0x52;
    private static final int NONE_BYTES = -1;

    /** A record without interval errors. */
    public StateRecord(KeyState state, FeatureWindow window, KeyHistory history, byte[] waiting) {
        this(state, window, history, waiting, null);
    }

    /** The store value; the state must be set. */
    public byte[] encode() {
        byte[] stateBytes = state.encode();
        if (window == null && history == null && waiting == null && errors == null) {
            return stateBytes;
        }
        byte[] windowBytes = window == null ? null : window.encode();
        byte[] historyBytes = history == null ? null : history.encode();
        // Without interval errors the value ends after the waiting forecasts, as before they existed.
        byte[][] parts = errors == null ? new byte[][] {windowBytes, historyBytes, waiting}
                : new byte[][] {windowBytes, historyBytes, waiting, errors};
        int size = 1 + (1 + parts.length) * Integer.BYTES + stateBytes.length;
        for (byte[] part : parts) {
            size += length(part);
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(WITH_PARTS).putInt(stateBytes.length).put(stateBytes);
        for (byte[] part : parts) {
            if (part == null) {
                buffer.putInt(NONE_BYTES);
            } else {
                buffer.putInt(part.length).put(part);
            }
        }
        return buffer.array();
    }

    /** Every part of a stored value. */
    public static StateRecord decode(byte[] value) {
        return decode(value, true, true, true);
    }

    /**
     * The state of a stored value and the other parts asked for, read in one pass; a part not asked for is
     * null without being decoded. The interval errors come with the waiting forecasts: both change when a
     * forecast is scored.
     */
    public static StateRecord decode(byte[] value, boolean window, boolean history, boolean waiting) {
        if (value.length == 0 || value[0] != WITH_PARTS) {
            return new StateRecord(KeyState.decode(value), null, null, null, null);
        }
        ByteBuffer buffer = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        buffer.get();
        ByteBuffer stateBytes = nextPart(buffer, value.length, 0);
        if (stateBytes == null) {
            throw new StateFormatException("stored state record of " + value.length + " bytes holds no state");
        }
        ByteBuffer windowBytes = nextPart(buffer, value.length, 1);
        ByteBuffer historyBytes = nextPart(buffer, value.length, 2);
        ByteBuffer waitingBytes = nextPart(buffer, value.length, 3);
        ByteBuffer errorBytes = buffer.hasRemaining() ? nextPart(buffer, value.length, 4) : null;
        return new StateRecord(KeyState.decode(stateBytes),
                window && windowBytes != null ? FeatureWindow.decode(windowBytes) : null,
                history && historyBytes != null ? KeyHistory.decode(bytes(historyBytes)) : null,
                waiting && waitingBytes != null ? bytes(waitingBytes) : null,
                waiting && errorBytes != null ? bytes(errorBytes) : null);
    }

    private static int length(byte[] part) {
        return part == null ? 0 : part.length;
    }

    /** The next part as a view of its bytes, or null when absent; moves the buffer past it. */
    private static ByteBuffer nextPart(ByteBuffer buffer, int valueLength, int index) {
        int length = buffer.remaining() < Integer.BYTES ? Integer.MIN_VALUE : buffer.getInt();
        if (length < NONE_BYTES || length > buffer.remaining()) {
            throw new StateFormatException("stored state record of " + valueLength + " bytes declares part " + index
                    + " of " + (length == Integer.MIN_VALUE ? "no length" : length + " bytes") + " with "
                    + buffer.remaining() + " bytes left");
        }
        if (length == NONE_BYTES) {
            return null;
        }
        ByteBuffer part = buffer.slice().limit(length);
        buffer.position(buffer.position() + length);
        return part;
    }

    private static byte[] bytes(ByteBuffer part) {
        byte[] copy = new byte[part.remaining()];
        part.get(copy);
        return copy;
    }
}
