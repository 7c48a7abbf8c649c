/**
 * The Kafka Streams topology ({@link io.carrycast.topology.ForecastTopology}) and its processor
 * ({@link io.carrycast.topology.ForecastProcessor}), which keeps each key's state and window in RocksDB.
 */
package io.carrycast.topology;
