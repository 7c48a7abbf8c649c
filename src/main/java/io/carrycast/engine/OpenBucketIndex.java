package io.carrycast.engine;

import io.carrycast.forecast.Resampler;
import io.carrycast.state.OpenBucket;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Each key's resampling state ({@link OpenBucket}) and an index of the open buckets by end time, so that the
 * buckets stream time has passed are found from the start of the index, however many keys have a bucket open.
 * The rules are {@link Resampler}'s; this class keeps their state in a {@link BucketStore}, which it does not own.
 *
 * <p>It also remembers a lower bound of the earliest end in the index (after a scan, the first entry left;
 * lowered by every entry added since), so a check at a stream time before it reads nothing at all: with hourly
 * buckets the index is read once per hour of stream time rather than once per check. A new instance (a restart,
 * a moved task) knows no bound and scans once.
 */
public final class OpenBucketIndex {

    private final BucketStore store;
    /** No open bucket in the index ends before this; {@link Long#MIN_VALUE} while unknown. */
    private long earliestEnd = Long.MIN_VALUE;

    public OpenBucketIndex(BucketStore store) {
        this.store = store;
    }

    /** The key's resampling state, or null for a key never seen. */
    public OpenBucket get(String key) {
        return store.get(key);
    }

    /** Stores the key's new state, moving its index entry when its open bucket changed. */
    public void put(String key, OpenBucket before, OpenBucket after) {
        if (before != null && before.isOpen() && before.openEndMs() != after.openEndMs()) {
            store.removeDue(before.openEndMs(), key);
        }
        if (after.isOpen() && (before == null || !before.isOpen() || before.openEndMs() != after.openEndMs())) {
            store.addDue(after.openEndMs(), key);
            earliestEnd = Math.min(earliestEnd, after.openEndMs());
        }
        store.put(key, after);
    }

    /**
     * Closes every open bucket that ended at or before {@code endedBy}: stores each key's state after its step and
     * removes the index entries read.
     *
     * @return per key, its steps (fills first), in the order the buckets end
     */
    public Map<String, List<Resampler.Step>> closeEndedBy(long endedBy, Resampler resampler) {
        if (endedBy < earliestEnd) {
            return Map.of();
        }
        List<BucketStore.Due> ended = store.takeDue(endedBy);
        Map<String, List<Resampler.Step>> steps = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(ended.size());
        List<OpenBucket> closedBuckets = new ArrayList<>(ended.size());
        for (BucketStore.Due due : ended) {
            OpenBucket open = store.get(due.key());
            // An entry whose bucket is no longer open there (an older format, another card) is only removed.
            if (open != null && open.isOpen() && open.openEndMs() == due.endMs()
                    && open.fieldCount() == resampler.fieldCount()) {
                Resampler.Closed closed = resampler.close(open);
                keys.add(due.key());
                closedBuckets.add(closed.bucket());
                steps.put(due.key(), closed.steps());
            }
        }
        if (!keys.isEmpty()) {
            store.putAll(keys, closedBuckets);
        }
        earliestEnd = store.firstDueEnd();
        return steps;
    }
}
