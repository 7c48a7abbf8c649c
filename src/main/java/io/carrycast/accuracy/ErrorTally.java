package io.carrycast.accuracy;

/**
 * Sums over scored values, the model's errors beside the persistence baseline's: the one place MAE, RMSE and
 * skill are computed, for live scoring ({@link AccuracyBoard}), the backtest's evaluation and the demo. Each
 * value is added to the sums in the order it was scored, so two tallies over the same values in the same
 * order agree exactly.
 *
 * @param count                 values scored
 * @param absErrorSum           sum of |forecast - actual|
 * @param squaredErrorSum       sum of (forecast - actual)^2
 * @param persistenceAbsSum     the same for persistence
 * @param persistenceSquaredSum the same for persistence
 */
public record ErrorTally(long count, double absErrorSum, double squaredErrorSum, double persistenceAbsSum,
                         double persistenceSquaredSum) {

    public static final ErrorTally EMPTY = new ErrorTally(0, 0, 0, 0, 0);

    /**
     * This tally with one more value.
     *
     * @param error            forecast minus actual
     * @param persistenceError persistence minus actual
     */
    public ErrorTally add(double error, double persistenceError) {
        return new ErrorTally(count + 1, absErrorSum + Math.abs(error), squaredErrorSum + error * error,
                persistenceAbsSum + Math.abs(persistenceError),
                persistenceSquaredSum + persistenceError * persistenceError);
    }

    /** The sums of both tallies. */
    public ErrorTally plus(ErrorTally other) {
        return new ErrorTally(count + other.count, absErrorSum + other.absErrorSum,
                squaredErrorSum + other.squaredErrorSum, persistenceAbsSum + other.persistenceAbsSum,
                persistenceSquaredSum + other.persistenceSquaredSum);
    }

    public double mae() {
        return count == 0 ? Double.NaN : absErrorSum / count;
    }

    public double rmse() {
        return count == 0 ? Double.NaN : Math.sqrt(squaredErrorSum / count);
    }

    public double persistenceMae() {
        return count == 0 ? Double.NaN : persistenceAbsSum / count;
    }

    public double persistenceRmse() {
        return count == 0 ? Double.NaN : Math.sqrt(persistenceSquaredSum / count);
    }

    /** 1 - MAE / persistence MAE: above 0 when the model beats persistence; NaN when undefined. */
    public double skill() {
        return count == 0 || persistenceAbsSum == 0 ? Double.NaN : 1 - absErrorSum / persistenceAbsSum;
    }
}
