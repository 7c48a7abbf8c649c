/**
 * Per-key forecasting without Kafka: what the stream processor ({@code io.carrycast.topology}) and the backtest
 * ({@code io.carrycast.backtest}) both run per key. Its stores are interfaces, implemented over Kafka Streams'
 * state stores by the topology and over maps here ({@link io.carrycast.engine.MapBucketStore}) for the
 * backtest, so both shells keep the same data by the same rules.
 */
package io.carrycast.engine;
