package io.carrycast.topology;

import io.carrycast.forecast.Resampler;
import io.carrycast.state.OpenBucket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Each key's resampling state ({@link OpenBucket}) in the changelogged bucket store, and an index of the open
 * buckets by end time in the changelogged due store, so that the buckets stream time has passed are found
 * with one range scan from the start of the index: it reads only the due entries, however many keys have a
 * bucket open. The rules are {@link Resampler}'s; this class only keeps their state. Does not own the stores.
 *
 * <p>It also remembers a lower bound of the earliest end in the index (after a scan, the first entry left;
 * lowered by every entry added since), so a check at a stream time before it reads nothing at all: with hourly
 * buckets the index is read once per hour of stream time rather than once per check. A new instance (a restart,
 * a moved task) knows no bound and scans once.
 *
 * <p>An index key is the bucket's end (8 bytes, big-endian, sign bit flipped so that byte order is time
 * order) followed by the series key's UTF-8 bytes; its value is empty.
 */
final class OpenBuckets {

    private static final byte[] PRESENT = new byte[0];

    private final KeyValueStore<String, byte[]> buckets;
    private final KeyValueStore<Bytes, byte[]> due;
    /** No open bucket in the index ends before this; {@link Long#MIN_VALUE} while unknown. */
    private long earliestEnd = Long.MIN_VALUE;

    OpenBuckets(KeyValueStore<String, byte[]> buckets, KeyValueStore<Bytes, byte[]> due) {
        this.buckets = buckets;
        this.due = due;
    }

    OpenBucket get(String key) {
        byte[] bytes = buckets.get(key);
        return bytes == null ? null : OpenBucket.decode(bytes);
    }

    /** Stores the key's new state, moving its index entry when its open bucket changed. */
    void put(String key, OpenBucket before, OpenBucket after) {
        if (before != null && before.isOpen() && before.openEndMs() != after.openEndMs()) {
            due.delete(indexKey(before.openEndMs(), key));
        }
        if (after.isOpen() && (before == null || !before.isOpen() || before.openEndMs() != after.openEndMs())) {
            due.put(indexKey(after.openEndMs(), key), PRESENT);
            earliestEnd = Math.min(earliestEnd, after.openEndMs());
        }
        buckets.put(key, after.encode());
    }

    /**
     * Steps every open bucket that ended at or before {@code endedBy}, found by a range scan over the index up
     * to that time: stores each key's state after its step and removes the index entries read.
     *
     * @return per key, its steps (fills first), in the order the buckets end
     */
    Map<String, List<Resampler.Step>> closeEndedBy(long endedBy, Resampler resampler) {
        if (endedBy < earliestEnd) {
            return Map.of();
        }
        List<Bytes> ended = new ArrayList<>();
        // Every entry ending at endedBy is longer than this bare prefix of endedBy + 1, so sorts before it.
        try (KeyValueIterator<Bytes, byte[]> entries = due.range(null, indexKey(endedBy + 1, ""))) {
            while (entries.hasNext()) {
                ended.add(entries.next().key);
            }
        }
        Map<String, List<Resampler.Step>> steps = new LinkedHashMap<>();
        List<KeyValue<String, byte[]>> states = new ArrayList<>(ended.size());
        for (Bytes entry : ended) {
            due.delete(entry);
            ByteBuffer bytes = ByteBuffer.wrap(entry.get());
            long endMs = bytes.getLong() ^ Long.MIN_VALUE;
            String key = StandardCharsets.UTF_8.decode(bytes).toString();
            OpenBucket open = get(key);
            // An entry whose bucket is no longer open there (an older format, another card) is only removed.
            if (open != null && open.isOpen() && open.openEndMs() == endMs
                    && open.fieldCount() == resampler.fieldCount()) {
                Resampler.Closed closed = resampler.close(open);
                states.add(KeyValue.pair(key, closed.bucket().encode()));
                steps.put(key, closed.steps());
            }
        }
        if (!states.isEmpty()) {
            buckets.putAll(states);
        }
        earliestEnd = firstEnd();
        return steps;
    }

    /** The end of the first entry in the index, or {@link Long#MAX_VALUE} when it is empty. */
    private long firstEnd() {
        try (KeyValueIterator<Bytes, byte[]> entries = due.all()) {
            return entries.hasNext() ? ByteBuffer.wrap(entries.next().key.get()).getLong() ^ Long.MIN_VALUE
                    : Long.MAX_VALUE;
        }
    }

    static Bytes indexKey(long endMs, String key) {
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + keyBytes.length).putLong(endMs ^ Long.MIN_VALUE)
                .put(keyBytes).array());
    }
}
