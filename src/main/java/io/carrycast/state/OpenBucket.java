package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One key's resampling state between events: the cadence bucket being filled (its running aggregates and
 * event count) and what the key's last stepped bucket held, which an empty bucket may carry forward.
 *
 * <p>With an allowed lateness it also keeps the key's stepped buckets that a late event can still reach (their
 * running aggregates, event counts, first and last event times) and the stepped bucket before them, so that a
 * late event for a stepped bucket revises its aggregates and the buckets from there are stepped again.
 *
 * <p>Encoding (version 3, little-endian): {@code byte version=3, long lastSteppedStartMs, long openStartMs,
 * long openEndMs, int eventCount, long firstEventTimeMs, long lastEventTimeMs, long lastEventDigest,
 * short fieldCount, double[fieldCount] stepped, double[fieldCount] running, short recentCount,
 * (long time, long digest)[recentCount], byte kept (0: none)}, and when kept is 1: {@code
 * long predecessorStartMs, double[fieldCount] predecessorValues, short bucketCount}, then per bucket {@code
 * long startMs, int eventCount, long firstEventTimeMs, long lastEventTimeMs, double[fieldCount] running}.
 * 58 bytes of header, 16 per field and 16 per recent event: a card reading three event fields stores 106
 * bytes per key when no lateness is allowed; with one, 34 + 8 per field more, and 28 + 8 per field per kept
 * bucket. Version 2 lacks the kept buckets and version 1 also the first event's time and the recent events;
 * they are read with those unknown, so their stepped buckets are not revised and (version 1) their open bucket
 * takes no late event.
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
 * @param recentTimes        with an allowed lateness, the times of the key's latest events (those within the
 *                           lateness of the latest, at most {@code carrycast.lateness.history.max.events}),
 *                           oldest first, so that a late redelivery of one of them is recognised; empty otherwise
 * @param recentDigests      their {@link #digest}s
 * @param kept               with an allowed lateness, the stepped buckets a late event may revise; null when
 *                           none are kept (no lateness, or a bucket stored by an older version)
 */
public record OpenBucket(long lastSteppedStartMs, long openStartMs, long openEndMs, int eventCount,
                         long firstEventTimeMs, long lastEventTimeMs, long lastEventDigest, double[] stepped,
                         double[] running, long[] recentTimes, long[] recentDigests, Kept kept) {

    private static final byte VERSION = 3;
    private static final byte VERSION_2 = 2;
    private static final byte VERSION_1 = 1;
    private static final int HEADER_BYTES_2 = 1 + Long.BYTES * 6 + Integer.BYTES + Short.BYTES * 2;
    private static final int HEADER_BYTES_1 = 1 + Long.BYTES * 5 + Integer.BYTES + Short.BYTES;
    private static final long[] NONE = new long[0];

    /**
     * A stepped bucket kept for late events.
     *
     * @param running its aggregates as they were running when it was stepped (a sum for mean and sum)
     */
    public record SteppedBucket(long startMs, int eventCount, long firstEventTimeMs, long lastEventTimeMs,
                                double[] running) {
        @Override
        public boolean equals(Object other) {
            return other instanceof SteppedBucket that && startMs == that.startMs && eventCount == that.eventCount
                    && firstEventTimeMs == that.firstEventTimeMs && lastEventTimeMs == that.lastEventTimeMs
                    && Arrays.equals(running, that.running);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(startMs) * 31 + eventCount;
        }

        @Override
        public String toString() {
            return "SteppedBucket[startMs=" + startMs + ", eventCount=" + eventCount + ", running="
                    + Arrays.toString(running) + "]";
        }
    }

    /**
     * The key's stepped buckets a late event can still reach, and the stepped bucket before them (whose values
     * an empty bucket after it carries, and from whose step a revision replays).
     *
     * @param predecessorStartMs the start of the stepped bucket before {@code buckets}; {@link Long#MIN_VALUE}
     *                           when {@code buckets} start with the key's first bucket
     * @param predecessorValues  that bucket's aggregated values (zeros when there is none)
     * @param buckets            the later stepped buckets, in time order
     */
    public record Kept(long predecessorStartMs, double[] predecessorValues, List<SteppedBucket> buckets) {
        public Kept {
            buckets = List.copyOf(buckets);
        }

        /** Kept from a key's first bucket on. */
        public static Kept fromStart(int fieldCount) {
            return new Kept(Long.MIN_VALUE, new double[fieldCount], List.of());
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Kept that && predecessorStartMs == that.predecessorStartMs
                    && Arrays.equals(predecessorValues, that.predecessorValues) && buckets.equals(that.buckets);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(predecessorStartMs) * 31 + buckets.size();
        }

        @Override
        public String toString() {
            return "Kept[predecessorStartMs=" + predecessorStartMs + ", predecessorValues="
                    + Arrays.toString(predecessorValues) + ", buckets=" + buckets + "]";
        }
    }

    public OpenBucket {
        if (recentTimes.length != recentDigests.length) {
            throw new IllegalArgumentException("recent events: " + recentTimes.length + " times but "
                    + recentDigests.length + " digests");
        }
    }

    /** A bucket state that keeps no stepped buckets. */
    public OpenBucket(long lastSteppedStartMs, long openStartMs, long openEndMs, int eventCount,
                      long firstEventTimeMs, long lastEventTimeMs, long lastEventDigest, double[] stepped,
                      double[] running, long[] recentTimes, long[] recentDigests) {
        this(lastSteppedStartMs, openStartMs, openEndMs, eventCount, firstEventTimeMs, lastEventTimeMs,
                lastEventDigest, stepped, running, recentTimes, recentDigests, null);
    }

    /** A key never seen. */
    public static OpenBucket initial(int fieldCount) {
        return initial(fieldCount, false);
    }

    /** A key never seen; with {@code keepsStepped}, its stepped buckets are kept from its first on. */
    public static OpenBucket initial(int fieldCount, boolean keepsStepped) {
        return new OpenBucket(Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE, 0, Long.MIN_VALUE, Long.MIN_VALUE, 0L,
                new double[fieldCount], new double[fieldCount], NONE, NONE,
                keepsStepped ? Kept.fromStart(fieldCount) : null);
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
        int fields = stepped.length;
        int keptBytes = kept == null ? 0 : Long.BYTES + fields * Double.BYTES + Short.BYTES
                + kept.buckets().size() * (Long.BYTES * 3 + Integer.BYTES + fields * Double.BYTES);
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES_2 + 1 + 2 * fields * Double.BYTES
                + recentTimes.length * 2 * Long.BYTES + keptBytes).order(ByteOrder.LITTLE_ENDIAN);
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
        buffer.put((byte) (kept == null ? 0 : 1));
        if (kept != null) {
            buffer.putLong(kept.predecessorStartMs());
            putValues(buffer, kept.predecessorValues());
            buffer.putShort((short) kept.buckets().size());
            for (SteppedBucket bucket : kept.buckets()) {
                buffer.putLong(bucket.startMs()).putInt(bucket.eventCount()).putLong(bucket.firstEventTimeMs())
                        .putLong(bucket.lastEventTimeMs());
                putValues(buffer, bucket.running());
            }
        }
        return buffer.array();
    }

    private static void putValues(ByteBuffer buffer, double[] values) {
        for (double value : values) {
            buffer.putDouble(value);
        }
    }

    private static double[] values(ByteBuffer buffer, int count) {
        double[] values = new double[count];
        for (int i = 0; i < count; i++) {
            values[i] = buffer.getDouble();
        }
        return values;
    }

    public static OpenBucket decode(byte[] bytes) {
        boolean version1 = bytes.length >= HEADER_BYTES_1 && bytes[0] == VERSION_1;
        boolean version2 = bytes.length >= HEADER_BYTES_2 && bytes[0] == VERSION_2;
        if (!version1 && !version2 && (bytes.length < HEADER_BYTES_2 + 1 || bytes[0] != VERSION)) {
            throw new StateFormatException("stored open bucket has " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads versions " + VERSION_1 + " to "
                    + VERSION);
        }
        try {
            return decode(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN), version1, version2);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new StateFormatException("stored open bucket of " + bytes.length + " bytes (version " + bytes[0]
                    + ") ends early or is inconsistent: " + e.getMessage());
        }
    }

    private static OpenBucket decode(ByteBuffer buffer, boolean version1, boolean version2) {
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
        int after = version1 || version2 ? 0 : 1;
        if (recentCount < 0 || buffer.remaining() < recentCount * 2 * Long.BYTES + after
                || after == 0 && buffer.remaining() != recentCount * 2 * Long.BYTES) {
            throw new StateFormatException("stored open bucket declares " + recentCount + " recent events but holds "
                    + buffer.remaining() + " bytes for them");
        }
        long[] recentTimes = new long[recentCount];
        long[] recentDigests = new long[recentCount];
        for (int i = 0; i < recentCount; i++) {
            recentTimes[i] = buffer.getLong();
            recentDigests[i] = buffer.getLong();
        }
        Kept kept = null;
        if (after == 1 && buffer.get() == 1) {
            long predecessorStart = buffer.getLong();
            double[] predecessorValues = values(buffer, fieldCount);
            int count = buffer.getShort();
            List<SteppedBucket> buckets = new ArrayList<>(Math.max(0, count));
            for (int i = 0; i < count; i++) {
                buckets.add(new SteppedBucket(buffer.getLong(), buffer.getInt(), buffer.getLong(), buffer.getLong(),
                        values(buffer, fieldCount)));
            }
            kept = new Kept(predecessorStart, predecessorValues, buckets);
        }
        if (buffer.hasRemaining()) {
            throw new StateFormatException("stored open bucket has " + buffer.remaining() + " bytes after its end");
        }
        return new OpenBucket(lastSteppedStart, openStart, openEnd, eventCount, firstEventTime, lastEventTime,
                lastEventDigest, stepped, running, recentTimes, recentDigests, kept);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof OpenBucket that && lastSteppedStartMs == that.lastSteppedStartMs
                && openStartMs == that.openStartMs && openEndMs == that.openEndMs && eventCount == that.eventCount
                && firstEventTimeMs == that.firstEventTimeMs && lastEventTimeMs == that.lastEventTimeMs
                && lastEventDigest == that.lastEventDigest && Arrays.equals(stepped, that.stepped)
                && Arrays.equals(running, that.running) && Arrays.equals(recentTimes, that.recentTimes)
                && Arrays.equals(recentDigests, that.recentDigests) && Objects.equals(kept, that.kept);
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
                + Arrays.toString(running) + ", recent=" + recentTimes.length + ", kept=" + kept + "]";
    }
}
