/**
 * carrycast: per-key recurrent-network forecasting on Kafka Streams. Packages: {@code bundle} (model
 * bundle and card), {@code runner} (ONNX Runtime), {@code state} (the stored per-key format),
 * {@code forecast} (events in, forecasts out, no Kafka), {@code topology} (the Streams topology and its
 * processor), {@code config}, {@code cli} (commands), {@code broker} (the embedded Kafka broker).
 */
package io.carrycast;
