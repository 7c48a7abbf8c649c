/**
 * The Kafka Streams topology ({@link io.carrycast.topology.ForecastTopology}) and its processor
 * ({@link io.carrycast.topology.ForecastProcessor}), which keeps each key's state and window in RocksDB,
 * holds events waiting for a micro-batch in a changelogged ring ({@link io.carrycast.topology.PendingRing})
 * until a poll's events are all processed ({@link io.carrycast.topology.DeliveredInput}), and sends what
 * cannot be used to the dead-letter topic ({@link io.carrycast.topology.DeadLetterReasonHandler}).
 */
package io.carrycast.topology;
