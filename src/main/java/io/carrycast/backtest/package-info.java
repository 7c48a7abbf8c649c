/**
 * Offline evaluation: the forecasting core over a CSV or JSON-lines file, and the MAE/RMSE of the model
 * against the persistence baseline. The demo scores forecasts consumed from Kafka with the same code.
 */
package io.carrycast.backtest;
