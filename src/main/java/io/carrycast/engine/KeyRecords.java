package io.carrycast.engine;

import io.carrycast.state.StateRecord;
import java.util.List;

/** Where {@link ForecastEngine} keeps each key's {@link StateRecord}: its state and what changes with it. */
public interface KeyRecords {

    /**
     * The key's record: its state and the other parts asked for (a part not asked for may be left null), or
     * {@link StateRecord#NONE} for a key with none stored.
     */
    StateRecord get(String key, boolean window, boolean history, boolean waiting);

    void put(String key, StateRecord record);

    /** Stores the records of one model call's keys ({@code keys} and {@code records} pair up). */
    void putAll(List<String> keys, List<StateRecord> records);
}
