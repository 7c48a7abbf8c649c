/**
 * Live accuracy: each key's forecasts waiting for their actuals ({@link io.carrycast.accuracy.WaitingForecasts}),
 * the rule that scores them when the actual arrives ({@link io.carrycast.accuracy.Scorer}), and the running
 * tallies per model, target and step that the metrics and {@code GET /accuracy} show
 * ({@link io.carrycast.accuracy.AccuracyBoard}). No Kafka here: the processor calls in.
 */
package io.carrycast.accuracy;
