package io.carrycast.engine;

import io.carrycast.state.StateRecord;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** {@link KeyRecords} in memory, for a run over a file: every part of a record is kept as it was stored. */
public final class MapKeyRecords implements KeyRecords {

    private final Map<String, StateRecord> records = new HashMap<>();

    @Override
    public StateRecord get(String key, boolean window, boolean history, boolean waiting) {
        return records.getOrDefault(key, StateRecord.NONE);
    }

    @Override
    public void put(String key, StateRecord record) {
        records.put(key, record);
    }

    @Override
    public void putAll(List<String> keys, List<StateRecord> values) {
        for (int i = 0; i < keys.size(); i++) {
            records.put(keys.get(i), values.get(i));
        }
    }
}
