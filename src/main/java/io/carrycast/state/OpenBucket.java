package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One key's resampling state between events: the cadence bucket being filled (its running aggregates and
 * event count) and what the key's last stepped bucket held, which an empty bucket may carry forward.
 *
 * <p>Encoding (version 1, little-endian): {@code byte version=1, long lastSteppedStartMs, long openStartMs,
 * long openEndMs, int eventCount, long lastEventTimeMs, long lastEventDigest, short fieldCount,
 * double[fieldCount] stepped, double[fieldCount] running}. 47 bytes of header and 16 per field: a card
 * reading three event fields stores 95 bytes per key.
 *
 * @param lastSteppedStartMs start of the key's last stepped bucket, {@link Long#MIN_VALUE} before the first
 * @param openStartMs        start of the bucket being filled, {@link Long#MIN_VALUE} when none is open
 * @param openEndMs          its end (exclusive), the time the open-bucket index orders it by
 * @param eventCount         events in the open bucket
 * @param lastEventTimeMs    time of the key's last accepted event, {@link Long#MIN_VALUE} before the first
 * @param lastEventDigest    {@link #digest} of that event, to recognise an exact redelivery
 * @param stepped            the aggregated raw field values of the last stepped bucket (zeros before the first)
 * @param running            the open bucket's running aggregates per field (a sum for mean and sum)
 */
public record OpenBucket(long lastSteppedStartMs, long openStartMs, long openEndMs, int eventCount,
                         long lastEventTimeMs, long lastEventDigest, double[] stepped, double[] running) {

    private static final byte VERSION = 1;
    private static final int HEADER_BYTES = 1 + Long.BYTES * 5 + Integer.BYTES + Short.BYTES;

    /** A key never seen. */
    public static OpenBucket initial(int fieldCount) {
        return new OpenBucket(Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, 0, Long.MIN_VALUE, 0L,
                new double[fieldCount], new double[fieldCount]);
    }

    public boolean isOpen() {
        return openStartMs != Long.MIN_VALUE;
    }

    public int fieldCount() {
        return stepped.length;
    }

    /** A 64-bit digest of an event's time and raw field values: equal events give equal digests. */
    public static long digest(long eventTimeMs, double[] values) {
        long hash = 0xcbf29ce484222325L ^ eventTimeMs;
        for (double value : values) {
            hash = (hash ^ Double.doubleToLongBits(value)) * 0x100000001b3L;
            hash ^= hash >>> 29;
        }
        return hash;
    }

    public byte[] encode() {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + 2 * stepped.length * Double.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).putLong(lastSteppedStartMs).putLong(openStartMs).putLong(openEndMs).putInt(eventCount)
                .putLong(lastEventTimeMs).putLong(lastEventDigest).putShort((short) stepped.length);
        for (double value : stepped) {
            buffer.putDouble(value);
        }
        for (double value : running) {
            buffer.putDouble(value);
        }
        return buffer.array();
    }

    public static OpenBucket decode(byte[] bytes) {
        if (bytes.length < HEADER_BYTES || bytes[0] != VERSION) {
            throw new StateFormatException("stored open bucket has " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads version " + VERSION);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.get();
        long lastSteppedStart = buffer.getLong();
        long openStart = buffer.getLong();
        long openEnd = buffer.getLong();
        int eventCount = buffer.getInt();
        long lastEventTime = buffer.getLong();
        long lastEventDigest = buffer.getLong();
        int fieldCount = buffer.getShort();
        if (fieldCount < 0 || buffer.remaining() != 2 * fieldCount * Double.BYTES) {
            throw new StateFormatException("stored open bucket declares " + fieldCount + " fields but holds "
                    + buffer.remaining() + " bytes of values");
        }
        double[] stepped = new double[fieldCount];
        double[] running = new double[fieldCount];
        for (int i = 0; i < fieldCount; i++) {
            stepped[i] = buffer.getDouble();
        }
        for (int i = 0; i < fieldCount; i++) {
            running[i] = buffer.getDouble();
        }
        return new OpenBucket(lastSteppedStart, openStart, openEnd, eventCount, lastEventTime, lastEventDigest,
                stepped, running);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof OpenBucket that && lastSteppedStartMs == that.lastSteppedStartMs
                && openStartMs == that.openStartMs && openEndMs == that.openEndMs && eventCount == that.eventCount
                && lastEventTimeMs == that.lastEventTimeMs && lastEventDigest == that.lastEventDigest
                && Arrays.equals(stepped, that.stepped) && Arrays.equals(running, that.running);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(openStartMs) * 31 + Long.hashCode(lastEventDigest);
    }

    @Override
    public String toString() {
        return "OpenBucket[lastSteppedStartMs=" + lastSteppedStartMs + ", openStartMs=" + openStartMs + ", openEndMs="
                + openEndMs + ", eventCount=" + eventCount + ", lastEventTimeMs=" + lastEventTimeMs + ", stepped="
                + Arrays.toString(stepped) + ", running=" + Arrays.toString(running) + "]";
    }
}
