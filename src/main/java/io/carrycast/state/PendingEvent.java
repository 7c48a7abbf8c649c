package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * An accepted event waiting for its key's next model step in a micro-batch. Stored in a changelogged
 * store so that an event whose input offset is committed is never lost with the process. For a card that
 * resamples, a waiting step is a closed cadence bucket (or an empty one being filled) rather than an event.
 *
 * <p>Encoding (version 3, little-endian): {@code byte version=3, long sequence, long eventTimeMs,
 * byte preparation, int keyBytes, byte[keyBytes] key (UTF-8), int featureCount, float[featureCount],
 * int bucketEvents, int filledBefore, long previousTimeMs}. Version 2 is the same without the last field and
 * version 1 without the last three; both are still read (version 1 as an event, not a bucket), with the
 * previous event's time {@link #PREVIOUS_UNKNOWN}.
 *
 * @param sequence       arrival order within the task
 * @param preparation    what must happen to the key's state before this event is stepped, decided when the
 *                       event was accepted
 * @param bucketEvents   for a resampled bucket, the events it held (0: an empty bucket being filled, which
 *                       gives no forecast); {@link #NOT_A_BUCKET} for an event
 * @param filledBefore   for a resampled bucket, the empty buckets filled just before it
 * @param previousTimeMs the time of the key's event (or bucket) this one follows: its last accepted one when
 *                       this one was admitted, {@link Long#MIN_VALUE} for the key's first; a reloaded event is
 *                       stepped only from the state that event left ({@link io.carrycast.topology})
 */
public record PendingEvent(long sequence, String key, long eventTimeMs, float[] features,
                           StatePreparation preparation, int bucketEvents, int filledBefore, long previousTimeMs) {

    /** {@link #bucketEvents} of an event stepped as it is, not resampled. */
    public static final int NOT_A_BUCKET = -1;
    /** {@link #previousTimeMs} of an event stored before it was kept. */
    public static final long PREVIOUS_UNKNOWN = Long.MAX_VALUE;

    private static final byte VERSION = 3;
    private static final byte VERSION_WITHOUT_PREVIOUS = 2;
    private static final byte VERSION_WITHOUT_BUCKET = 1;
    private static final int HEADER_BYTES = 2 + Long.BYTES * 2 + Integer.BYTES * 2;

    /** An event stepped as it is. */
    public PendingEvent(long sequence, String key, long eventTimeMs, float[] features, StatePreparation preparation,
                        long previousTimeMs) {
        this(sequence, key, eventTimeMs, features, preparation, NOT_A_BUCKET, 0, previousTimeMs);
    }

    public boolean isBucket() {
        return bucketEvents != NOT_A_BUCKET;
    }

    public byte[] encode() {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + keyBytes.length + features.length * Float.BYTES
                        + 2 * Integer.BYTES + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).putLong(sequence).putLong(eventTimeMs).put((byte) preparation.ordinal()).putInt(keyBytes.length)
                .put(keyBytes).putInt(features.length);
        for (float feature : features) {
            buffer.putFloat(feature);
        }
        buffer.putInt(bucketEvents).putInt(filledBefore).putLong(previousTimeMs);
        return buffer.array();
    }

    public static PendingEvent decode(byte[] bytes) {
        if (bytes.length < HEADER_BYTES || bytes[0] < VERSION_WITHOUT_BUCKET || bytes[0] > VERSION) {
            throw new StateFormatException("stored pending event has " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads versions "
                    + VERSION_WITHOUT_BUCKET + " to " + VERSION);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        byte version = buffer.get();
        long sequence = buffer.getLong();
        long time = buffer.getLong();
        int preparation = buffer.get();
        if (preparation < 0 || preparation >= StatePreparation.values().length) {
            throw new StateFormatException("stored pending event has unknown state preparation " + preparation);
        }
        byte[] keyBytes = new byte[buffer.getInt()];
        buffer.get(keyBytes);
        float[] features = new float[buffer.getInt()];
        int trailer = version == VERSION ? 2 * Integer.BYTES + Long.BYTES
                : version == VERSION_WITHOUT_PREVIOUS ? 2 * Integer.BYTES : 0;
        if (buffer.remaining() != features.length * Float.BYTES + trailer) {
            throw new StateFormatException("stored pending event declares " + features.length
                    + " features but holds " + (buffer.remaining() - trailer) + " bytes of them");
        }
        for (int i = 0; i < features.length; i++) {
            features[i] = buffer.getFloat();
        }
        int bucketEvents = version >= VERSION_WITHOUT_PREVIOUS ? buffer.getInt() : NOT_A_BUCKET;
        int filledBefore = version >= VERSION_WITHOUT_PREVIOUS ? buffer.getInt() : 0;
        long previousTime = version == VERSION ? buffer.getLong() : PREVIOUS_UNKNOWN;
        return new PendingEvent(sequence, new String(keyBytes, StandardCharsets.UTF_8), time, features,
                StatePreparation.values()[preparation], bucketEvents, filledBefore, previousTime);
    }
}
