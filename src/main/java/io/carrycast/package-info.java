/**
 * carrycast: per-key recurrent-network forecasting on Kafka Streams. This package holds only
 * {@link io.carrycast.CarrycastException}, the base of the exceptions every other package raises, so that it
 * depends on none of them. Packages: {@code bundle} (model bundle and card), {@code runner} (ONNX Runtime),
 * {@code state} (the stored per-key format), {@code forecast} (events in, forecasts out, no Kafka),
 * {@code accuracy} (live scoring), {@code topology} (the Streams topology and its processor), {@code config},
 * {@code app} (the running forecaster), {@code cluster} (probing a cluster and creating topics), {@code http},
 * {@code metrics}, {@code cli} (commands), {@code broker} (the embedded Kafka broker), {@code backtest} and
 * {@code demo}.
 */
package io.carrycast;
