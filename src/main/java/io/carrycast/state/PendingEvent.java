package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * An accepted event waiting for its key's next model step in a micro-batch. Stored in a changelogged
 * store so that an event whose input offset is committed is never lost with the process.
 *
 * <p>Encoding (version 1, little-endian): {@code byte version=1, long sequence, long eventTimeMs,
 * byte preparation, int keyBytes, byte[keyBytes] key (UTF-8), int featureCount, float[featureCount]}.
 *
 * @param sequence    arrival order within the task
 * @param preparation what must happen to the key's state before this event is stepped, decided when the
 *                    event was accepted
 */
public record PendingEvent(long sequence, String key, long eventTimeMs, float[] features,
                           StatePreparation preparation) {

    private static final byte VERSION = 1;
    private static final int HEADER_BYTES = 2 + Long.BYTES * 2 + Integer.BYTES * 2;

    public byte[] encode() {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + keyBytes.length + features.length * Float.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).putLong(sequence).putLong(eventTimeMs).put((byte) preparation.ordinal()).putInt(keyBytes.length)
                .put(keyBytes).putInt(features.length);
        buffer.asFloatBuffer().put(features);
        return buffer.array();
    }

    public static PendingEvent decode(byte[] bytes) {
        if (bytes.length < HEADER_BYTES || bytes[0] != VERSION) {
            throw new StateFormatException("stored pending event has " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads version " + VERSION);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.get();
        long sequence = buffer.getLong();
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
        return new PendingEvent(sequence, new String(keyBytes, StandardCharsets.UTF_8), time, features,
                StatePreparation.values()[preparation]);
    }
}
