package io.carrycast.accuracy;

/**
 * One forecast value scored against its actual.
 *
 * @param madeAtMs     event time of the event the forecast was made at
 * @param targetTimeMs the time the value was forecast for, which the actual's event carries
 * @param step         forecast step, 1 for the next event on the cadence
 * @param forecast     the model's value
 * @param actual       the target field's value in the event at the target time
 * @param persistence  the persistence baseline: the target's value in the event the forecast was made at
 */
public record Score(String key, long madeAtMs, long targetTimeMs, int step, String target, double forecast,
                    double actual, double persistence, String modelName, String modelVersion) {

    /** Forecast minus actual. */
    public double error() {
        return forecast - actual;
    }

    /** Persistence minus actual. */
    public double persistenceError() {
        return persistence - actual;
    }
}
