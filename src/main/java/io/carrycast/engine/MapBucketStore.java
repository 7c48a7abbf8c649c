package io.carrycast.engine;

import io.carrycast.state.OpenBucket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** A {@link BucketStore} in memory, for a run over a file: the open buckets' keys by end time, then key. */
public final class MapBucketStore implements BucketStore {

    private final Map<String, OpenBucket> buckets = new HashMap<>();
    private final TreeMap<Long, TreeSet<String>> dueByEnd = new TreeMap<>();

    @Override
    public OpenBucket get(String key) {
        return buckets.get(key);
    }

    @Override
    public void put(String key, OpenBucket bucket) {
        buckets.put(key, bucket);
    }

    @Override
    public void putAll(List<String> keys, List<OpenBucket> values) {
        for (int i = 0; i < keys.size(); i++) {
            buckets.put(keys.get(i), values.get(i));
        }
    }

    @Override
    public void addDue(long endMs, String key) {
        dueByEnd.computeIfAbsent(endMs, end -> new TreeSet<>()).add(key);
    }

    @Override
    public void removeDue(long endMs, String key) {
        TreeSet<String> keys = dueByEnd.get(endMs);
        keys.remove(key);
        if (keys.isEmpty()) {
            dueByEnd.remove(endMs);
        }
    }

    @Override
    public List<Due> takeDue(long endedBy) {
        List<Due> due = new ArrayList<>();
        while (!dueByEnd.isEmpty() && dueByEnd.firstKey() <= endedBy) {
            Map.Entry<Long, TreeSet<String>> first = dueByEnd.pollFirstEntry();
            for (String key : first.getValue()) {
                due.add(new Due(first.getKey(), key));
            }
        }
        return due;
    }

    @Override
    public long firstDueEnd() {
        return dueByEnd.isEmpty() ? Long.MAX_VALUE : dueByEnd.firstKey();
    }
}
