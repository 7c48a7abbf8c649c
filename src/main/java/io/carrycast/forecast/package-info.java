/**
 * The forecasting core without Kafka: events in ({@link io.carrycast.forecast.EventReader},
 * {@link io.carrycast.forecast.FeatureExtractor}), the per-key rules an event must pass
 * ({@link io.carrycast.forecast.Admission}), one model step per key ({@link io.carrycast.forecast.Forecaster},
 * which rolls forecasts out past the horizon when the card asks), forecasts out
 * ({@link io.carrycast.forecast.Forecast}, {@link io.carrycast.forecast.ForecastJson}). The stream processor
 * and the backtest share it.
 */
package io.carrycast.forecast;
