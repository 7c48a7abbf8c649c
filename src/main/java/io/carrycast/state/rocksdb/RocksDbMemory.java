package io.carrycast.state.rocksdb;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * The off-heap memory all RocksDB stores of one application instance share: one LRU block cache with a
 * strict capacity, holding data blocks and index and filter blocks, and a write-buffer manager whose
 * memtables are charged to the same cache (Kafka Streams' memory-management guide). Without it every store
 * of every task opens its own 50 MB block cache and up to three 16 MB memtables, so an instance's memory
 * grows with its task count (3 stores x 24 tasks is about seventy RocksDB instances).
 *
 * <p>Created and closed by the application, once per Kafka Streams instance, and handed to
 * {@link BoundedMemoryConfigSetter} through the Streams configs under {@link #CONFIG_KEY}. Close it only
 * after Kafka Streams has closed its stores: they use the cache until then.
 */
public final class RocksDbMemory implements AutoCloseable {

    /** Key under which the application hands this object to the stores' config setter. */
    public static final String CONFIG_KEY = "carrycast.internal.rocksdb.memory";

    /** Share of the capacity memtables may take before the write-buffer manager makes stores flush them. */
    static final double MEMTABLE_SHARE = 0.5;

    /** Share of the cache kept for index and filter blocks, so data blocks do not evict them. */
    static final double INDEX_FILTER_SHARE = 0.1;

    private final long capacityBytes;
    private final Cache cache;
    private final WriteBufferManager writeBufferManager;
    private volatile boolean closed;

    /** @param capacityBytes the most bytes the block cache, index and filter blocks and memtables hold together */
    public RocksDbMemory(long capacityBytes) {
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("RocksDB memory must be > 0 bytes, found " + capacityBytes);
        }
        RocksDB.loadLibrary();
        this.capacityBytes = capacityBytes;
        this.cache = new LRUCache(capacityBytes, -1, true, INDEX_FILTER_SHARE);
        this.writeBufferManager = new WriteBufferManager((long) (capacityBytes * MEMTABLE_SHARE), cache);
    }

    /**
     * Points one store's options at the shared cache and write-buffer manager. Works on the table config
     * Kafka Streams put into the options (replacing it would hide the cache from Kafka Streams' metrics).
     */
    void applyTo(Options options) {
        checkOpen();
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(writeBufferManager);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("RocksDB memory of " + capacityBytes + " bytes is closed");
        }
    }

    /** Releases the cache and write-buffer manager; call after Kafka Streams has closed. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            writeBufferManager.close();
            cache.close();
        }
    }
}
