package io.carrycast.engine;

import io.carrycast.state.OpenBucket;
import java.util.List;

/**
 * Where {@link OpenBucketIndex} keeps each key's resampling state and its index of open buckets by end time.
 * The index orders its entries by end time, then by key.
 */
public interface BucketStore {

    /** One index entry: a key whose open bucket ends at {@code endMs}. */
    record Due(long endMs, String key) {
    }

    /** The key's resampling state, or null for a key never seen. */
    OpenBucket get(String key);

    void put(String key, OpenBucket bucket);

    /** Stores several keys' states at once ({@code keys} and {@code buckets} pair up). */
    void putAll(List<String> keys, List<OpenBucket> buckets);

    void addDue(long endMs, String key);

    void removeDue(long endMs, String key);

    /** Removes and returns the index entries that end at or before {@code endedBy}, in the index's order. */
    List<Due> takeDue(long endedBy);

    /** The end of the index's first entry, or {@link Long#MAX_VALUE} when it is empty. */
    long firstDueEnd();
}
