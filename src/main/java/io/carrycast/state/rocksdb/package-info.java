/**
 * How the instance's RocksDB stores use off-heap memory: {@link io.carrycast.state.rocksdb.RocksDbMemory}
 * (one block cache and write-buffer manager per application instance) and the
 * {@link io.carrycast.state.rocksdb.BoundedMemoryConfigSetter} that hands it to every store Kafka Streams opens.
 */
package io.carrycast.state.rocksdb;
