/**
 * Per-key forecasting without Kafka ({@link io.carrycast.engine.ForecastEngine}): what the stream processor
 * ({@code io.carrycast.topology}) and the backtest ({@code io.carrycast.backtest}) both run per key, from reading
 * and admitting an event to what to forward and store. Its stores are interfaces
 * ({@link io.carrycast.engine.KeyRecords}, and {@link io.carrycast.engine.BucketStore} under the one
 * {@link io.carrycast.engine.OpenBucketIndex}), implemented over Kafka Streams' state stores by the topology and
 * over maps here for the backtest, so both shells keep the same data by the same rules.
 */
package io.carrycast.engine;
