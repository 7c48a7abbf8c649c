package io.carrycast.state.rocksdb;

import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.Options;

/**
 * carrycast's default {@code rocksdb.config.setter}: every store Kafka Streams opens uses the instance's
 * {@link RocksDbMemory}, which the application passes in the Streams configs under
 * {@link RocksDbMemory#CONFIG_KEY}. Kafka Streams creates one setter per store, so the setter holds nothing
 * itself, and {@link #close} leaves the shared cache alone: other stores still use it, and the application
 * closes it after Kafka Streams.
 */
public final class BoundedMemoryConfigSetter implements RocksDBConfigSetter {

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        if (!(configs.get(RocksDbMemory.CONFIG_KEY) instanceof RocksDbMemory memory)) {
            throw new ConfigException(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, getClass().getName(),
                    "store " + storeName + " cannot bound its memory: the Streams configs hold no RocksDbMemory under "
                            + RocksDbMemory.CONFIG_KEY + " (the application passes one; a Kafka Streams client built "
                            + "by hand must put one there or set its own rocksdb.config.setter)");
        }
        memory.applyTo(options);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and write-buffer manager are shared with the instance's other stores.
    }
}
