package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * One key's resampling state between events: the cadence bucket being filled (its running aggregates and
 * event count) and what the key's last stepped bucket held, which an empty bucket may carry forward.
 *
 * <p>Encoding (version 2, little-endian): {@code byte version=2, long lastSteppedStartMs, long openStartMs,
 * long openEndMs, int eventCount, long firstEventTimeMs, long lastEventTimeMs, long lastEventDigest,
 * short fieldCount, double[fieldCount] stepped, double[fieldCount] running, short recentCount,
 * (long time, long digest)[recentCount]}. 57 bytes of header, 16 per field and 16 per recent event: a card
 * reading three event fields stores 105 bytes per key when no lateness is allowed. Version 1 (written before
 * late events were accepted into the open bucket) lacks the first event's time and the recent events; it is
 * read with both unknown, so its bucket takes no late event.
 *
 * @param lastSteppedStartMs start of the key's last stepped bucket, {@link Long#MIN_VALUE} before the first
 * @param openStartMs        start of the bucket being filled, {@link Long#MIN_VALUE} when none is open
 * @param openEndMs          its end (exclusive), the time the open-bucket index orders it by
 * @param eventCount         events in the open bucket
 * @param firstEventTimeMs   time of the open bucket's earliest event ({@code first} aggregates follow it);
 *                           {@link Long#MIN_VALUE} when unknown or none is open
 * @param lastEventTimeMs    time of the key's latest accepted event, {@link Long#MIN_VALUE} before the first
 * @param lastEventDigest    {@link #digest} of that event, to recognise an exact redelivery
 * @param stepped            the aggregated raw field values of the last stepped bucket (zeros before the first)
 * @param running            the open bucket's running aggregates per field (a sum for mean and sum)
 * @param recentTimes        with an allowed lateness, the times of the open bucket's latest events, oldest
 *                           first, so that a late redelivery of one of them is recognised; empty otherwise
 * @param recentDigests      their {@link #digest}s
 */
public record OpenBucket(long lastSteppedStartMs, long openStartMs, long openEndMs, int eventCount,
                         long firstEventTimeMs, long lastEventTimeMs, long lastEventDigest, double[] stepped,
                         double[] running, long[] recentTimes, long[] recentDigests) {

    private static final byte VERSION = 2;
    private static final byte VERSION_1 = 1;
    private static final int HEADER_BYTES = 1 + Long.BYTES * 6 + Integer.BYTES + Short.BYTES * 2;
    private static final int HEADER_BYTES_1 = 1 + Long.BYTES * 5 + Integer.BYTES + Short.BYTES;
    private static final long[] NONE = new long[0];

    public OpenBucket {
        if (recentTimes.length != recentDigests.length) {
            throw new IllegalArgumentException("recent events: " + recentTimes.length + " times but "
                    + recentDigests.length + " digests");
        }
    }

    /** A key never seen. */
    public static OpenBucket initial(int fieldCount) {
        return new OpenBucket(Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, 0, Long.MIN_VALUE, Long.MIN_VALUE, 0L,
                new double[fieldCount], new double[fieldCount], NONE, NONE);
    }

    public boolean isOpen() {
        return openStartMs != Long.MIN_VALUE;
    }

    public int fieldCount() {
        return stepped.length;
    }

    /** Whether an event with this time and digest is one of the recent events kept. */
    public boolean isRecent(long eventTimeMs, long digest) {
        for (int i = recentTimes.length - 1; i >= 0 && recentTimes[i] >= eventTimeMs; i--) {
            if (recentTimes[i] == eventTimeMs && recentDigests[i] == digest) {
                return true;
            }
        }
        return false;
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
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + 2 * stepped.length * Double.BYTES
                + recentTimes.length * 2 * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).putLong(lastSteppedStartMs).putLong(openStartMs).putLong(openEndMs).putInt(eventCount)
                .putLong(firstEventTimeMs).putLong(lastEventTimeMs).putLong(lastEventDigest)
                .putShort((short) stepped.length);
        for (double value : stepped) {
            buffer.putDouble(value);
        }
        for (double value : running) {
            buffer.putDouble(value);
        }
        buffer.putShort((short) recentTimes.length);
        for (int i = 0; i < recentTimes.length; i++) {
            buffer.putLong(recentTimes[i]).putLong(recentDigests[i]);
        }
        return buffer.array();
    }

    public static OpenBucket decode(byte[] bytes) {
        boolean version1 = bytes.length >= HEADER_BYTES_1 && bytes[0] == VERSION_1;
        if (!version1 && (bytes.length < HEADER_BYTES || bytes[0] != VERSION)) {
            throw new StateFormatException("stored open bucket has " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads versions " + VERSION_1 + " and "
                    + VERSION);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        buffer.get();
        long lastSteppedStart = buffer.getLong();
        long openStart = buffer.getLong();
        long openEnd = buffer.getLong();
        int eventCount = buffer.getInt();
        long firstEventTime = version1 ? Long.MIN_VALUE : buffer.getLong();
        long lastEventTime = buffer.getLong();
        long lastEventDigest = buffer.getLong();
        int fieldCount = buffer.getShort();
        int valueBytes = 2 * fieldCount * Double.BYTES;
        if (fieldCount < 0 || buffer.remaining() < valueBytes + (version1 ? 0 : Short.BYTES)) {
            throw new StateFormatException("stored open bucket declares " + fieldCount + " fields but holds "
                    + buffer.remaining() + " bytes after its header");
        }
        double[] stepped = new double[fieldCount];
        double[] running = new double[fieldCount];
        for (int i = 0; i < fieldCount; i++) {
            stepped[i] = buffer.getDouble();
        }
        for (int i = 0; i < fieldCount; i++) {
            running[i] = buffer.getDouble();
        }
        int recentCount = version1 ? 0 : buffer.getShort();
        if (recentCount < 0 || buffer.remaining() != recentCount * 2 * Long.BYTES) {
            throw new StateFormatException("stored open bucket declares " + recentCount + " recent events but holds "
                    + buffer.remaining() + " bytes for them");
        }
        long[] recentTimes = new long[recentCount];
        long[] recentDigests = new long[recentCount];
        for (int i = 0; i < recentCount; i++) {
            recentTimes[i] = buffer.getLong();
            recentDigests[i] = buffer.getLong();
        }
        return new OpenBucket(lastSteppedStart, openStart, openEnd, eventCount, firstEventTime, lastEventTime,
                lastEventDigest, stepped, running, recentTimes, recentDigests);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof OpenBucket that && lastSteppedStartMs == that.lastSteppedStartMs
                && openStartMs == that.openStartMs && openEndMs == that.openEndMs && eventCount == that.eventCount
                && firstEventTimeMs == that.firstEventTimeMs && lastEventTimeMs == that.lastEventTimeMs
                && lastEventDigest == that.lastEventDigest && Arrays.equals(stepped, that.stepped)
                && Arrays.equals(running, that.running) && Arrays.equals(recentTimes, that.recentTimes)
                && Arrays.equals(recentDigests, that.recentDigests);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(openStartMs) * 31 + Long.hashCode(lastEventDigest);
    }

    @Override
    public String toString() {
        return "OpenBucket[lastSteppedStartMs=" + lastSteppedStartMs + ", openStartMs=" + openStartMs + ", openEndMs="
                + openEndMs + ", eventCount=" + eventCount + ", firstEventTimeMs=" + firstEventTimeMs
                + ", lastEventTimeMs=" + lastEventTimeMs + ", stepped=" + Arrays.toString(stepped) + ", running="
                + Arrays.toString(running) + ", recent=" + recentTimes.length + "]";
    }
}
