package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * An accepted event waiting for its key's next model step in a micro-batch. Stored in a changelogged
 * store so that an event whose input offset is committed is never lost with the process.
 *
 * <p>Encoding (version 1, little-endian): {@code byte version=1, long eventTimeMs, byte preparation,
 * int keyBytes, byte[keyBytes] key (UTF-8), int featureCount, float[featureCount]}.
 *
 * @param preparation what must happen to the key's state before this event is stepped, decided when the
 *                    event was accepted
 */
public record PendingEvent(String key, long eventTimeMs, float[] features, StatePreparation preparation) {

    private static final byte VERSION = 1;

    public byte[] encode() {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(2 + Long.BYTES + Integer.BYTES * 2 + keyBytes.length
                + features.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).putLong(eventTimeMs).put((byte) preparation.ordinal()).putInt(keyBytes.length)
                .put(keyBytes).putInt(features.length);
        buffer.asFloatBuffer().put(features);
        return buffer.array();
    }

    public static PendingEvent decode(byte[] bytes) {
        if (bytes.length < 2 + Long.BYTES + Integer.BYTES * 2 || bytes[0] != VERSION) {
            throw new StateFormatException("stored pending event has " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads version " + VERSION);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.get();
        long time = buffer.getLong();
        int preparation = buffer.get();
        if (preparation < 0 || preparation >= StatePreparation.values().length) {
            throw new StateFormatException("stored pending event has unknown state preparation " + preparation);
        }
        byte[] keyBytes = new byte[buffer.getInt()];
        buffer.get(keyBytes);
        float[] features = new float[buffer.getInt()];
        if (buffer.remaining() != features.length * Float.BYTES) {
            throw new StateFormatException("stored pending event declares " + features.length
                    + " features but holds " + buffer.remaining() + " bytes of them");
        }
        buffer.asFloatBuffer().get(features);
        return new PendingEvent(new String(keyBytes, StandardCharsets.UTF_8), time, features,
                StatePreparation.values()[preparation]);
    }
}
