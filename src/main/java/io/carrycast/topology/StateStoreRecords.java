package io.carrycast.topology;

import io.carrycast.engine.KeyRecords;
import io.carrycast.state.StateRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Each key's {@link StateRecord} in the changelogged state store, encoded; a record is decoded with only the
 * parts asked for. Several keys' records go in with one {@code putAll}: one pass through the metered store layer
 * per model call rather than per event. Does not own the store.
 */
final class StateStoreRecords implements KeyRecords {

    private final KeyValueStore<String, byte[]> store;

    StateStoreRecords(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    @Override
    public StateRecord get(String key, boolean window, boolean history, boolean waiting) {
        byte[] bytes = store.get(key);
        return bytes == null ? StateRecord.NONE : StateRecord.decode(bytes, window, history, waiting);
    }

    @Override
    public void put(String key, StateRecord record) {
        store.put(key, record.encode());
    }

    @Override
    public void putAll(List<String> keys, List<StateRecord> records) {
        store.putAll(encoded(keys, records, StateRecord::encode));
    }

    /** Store entries of paired keys and values, each value encoded. */
    static <V> List<KeyValue<String, byte[]>> encoded(List<String> keys, List<V> values, Function<V, byte[]> encode) {
        List<KeyValue<String, byte[]>> entries = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            entries.add(KeyValue.pair(keys.get(i), encode.apply(values.get(i))));
        }
        return entries;
    }
}
