package io.carrycast.topology;

import io.carrycast.engine.BucketStore;
import io.carrycast.engine.OpenBucketIndex;
import io.carrycast.state.OpenBucket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The {@link OpenBucketIndex}'s data in two changelogged stores: each key's resampling state in the bucket store,
 * and the index of open buckets by end time in the due store, so that the due entries are read with one range
 * scan from the start of the index. Does not own the stores.
 *
 * <p>An index key is the bucket's end (8 bytes, big-endian, sign bit flipped so that byte order is time
 * order) followed by the series key's UTF-8 bytes; its value is empty.
 */
final class BucketStores implements BucketStore {

    private static final byte[] PRESENT = new byte[0];

    private final KeyValueStore<String, byte[]> buckets;
    private final KeyValueStore<Bytes, byte[]> due;

    BucketStores(KeyValueStore<String, byte[]> buckets, KeyValueStore<Bytes, byte[]> due) {
        this.buckets = buckets;
        this.due = due;
    }

    @Override
    public OpenBucket get(String key) {
        byte[] bytes = buckets.get(key);
        return bytes == null ? null : OpenBucket.decode(bytes);
    }

    @Override
    public void put(String key, OpenBucket bucket) {
        buckets.put(key, bucket.encode());
    }

    @Override
    public void putAll(List<String> keys, List<OpenBucket> values) {
        buckets.putAll(StateStoreRecords.encoded(keys, values, OpenBucket::encode));
    }

    @Override
    public void addDue(long endMs, String key) {
        due.put(indexKey(endMs, key), PRESENT);
    }

    @Override
    public void removeDue(long endMs, String key) {
        due.delete(indexKey(endMs, key));
    }

    @Override
    public List<Due> takeDue(long endedBy) {
        List<Bytes> ended = new ArrayList<>();
        // Every entry ending at endedBy is longer than this bare prefix of endedBy + 1, so sorts before it.
        try (KeyValueIterator<Bytes, byte[]> entries = due.range(null, indexKey(endedBy + 1, ""))) {
            while (entries.hasNext()) {
                ended.add(entries.next().key);
            }
        }
        List<Due> taken = new ArrayList<>(ended.size());
        for (Bytes entry : ended) {
            due.delete(entry);
            ByteBuffer bytes = ByteBuffer.wrap(entry.get());
            long endMs = bytes.getLong() ^ Long.MIN_VALUE;
            taken.add(new Due(endMs, StandardCharsets.UTF_8.decode(bytes).toString()));
        }
        return taken;
    }

    @Override
    public long firstDueEnd() {
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
