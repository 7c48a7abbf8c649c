package io.carrycast.accuracy;

import java.util.List;

/**
 * One forecast value scored against its actual.
 *
 * @param madeAtMs     event time of the event the forecast was made at
 * @param targetTimeMs the time the value was forecast for, which the actual's event carries
 * @param step         forecast step, 1 for the next event on the cadence
 * @param forecast     the model's value
 * @param actual       the target field's value in the event at the target time
 * @param persistence  the persistence baseline: the target's value in the event the forecast was made at
 * @param ranges       the forecast's intervals for this value, one per level it had one at; empty when none
 * @param quantiles    whether the value is a quantile model's median and its ranges pairs of the model's
 *                     quantiles, so that it has a pinball loss ({@link #pinball()})
 */
public record Score(String key, long madeAtMs, long targetTimeMs, int step, String target, double forecast,
                    double actual, double persistence, String modelName, String modelVersion, List<Range> ranges,
                    boolean quantiles) {

    public Score {
        ranges = List.copyOf(ranges);
    }

    /** A score of a forecast with intervals from live errors, or none. */
    public Score(String key, long madeAtMs, long targetTimeMs, int step, String target, double forecast,
                 double actual, double persistence, String modelName, String modelVersion, List<Range> ranges) {
        this(key, madeAtMs, targetTimeMs, step, target, forecast, actual, persistence, modelName, modelVersion,
                ranges, false);
    }

    /** A score of a forecast without intervals. */
    public Score(String key, long madeAtMs, long targetTimeMs, int step, String target, double forecast,
                 double actual, double persistence, String modelName, String modelVersion) {
        this(key, madeAtMs, targetTimeMs, step, target, forecast, actual, persistence, modelName, modelVersion,
                List.of());
    }

    /** Forecast minus actual. */
    public double error() {
        return forecast - actual;
    }

    /** Persistence minus actual. */
    public double persistenceError() {
        return persistence - actual;
    }

    /** The mean pinball loss over the model's quantiles ({@link #pinball(double, List, double)}); NaN without. */
    public double pinball() {
        return quantiles ? pinball(forecast, ranges, actual) : Double.NaN;
    }

    /**
     * The pinball (quantile) loss of a quantile model's value, averaged over its quantiles: the median
     * {@code median} at 0.5, and per range at level a its lower bound at quantile (1 - a) / 2 and its upper
     * bound at (1 + a) / 2. Lower is better; a model trained with the pinball loss minimises it.
     */
    public static double pinball(double median, List<Range> ranges, double actual) {
        double sum = pinball(0.5, median, actual);
        for (Range range : ranges) {
            sum += pinball((1 - range.level()) / 2, range.lower(), actual)
                    + pinball((1 + range.level()) / 2, range.upper(), actual);
        }
        return sum / (1 + 2 * ranges.size());
    }

    /** The pinball loss of {@code predicted} as the quantile {@code q} of {@code actual}: max(q d, (q - 1) d). */
    public static double pinball(double q, double predicted, double actual) {
        double d = actual - predicted;
        return Math.max(q * d, (q - 1) * d);
    }

    /**
     * The interval a forecast value had at one level, as published: forecast ± halfWidth.
     */
    public record Range(double level, double lower, double upper) {

        public boolean covers(double actual) {
            return actual >= lower && actual <= upper;
        }

        public double width() {
            return upper - lower;
        }

        /**
         * The interval (Winkler) score: the width, plus 2 / (1 - level) times how far the actual lies outside.
         * Lower is better; it rewards narrow intervals and punishes misses in proportion to their size.
         */
        public double winkler(double actual) {
            double penalty = 2 / (1 - level);
            return width() + (actual < lower ? penalty * (lower - actual) : actual > upper ? penalty * (actual - upper) : 0);
        }

        /** How far outside the actual lies, in half-widths: 0 inside, e.g. 0.5 half a half-width beyond a bound. */
        public double outside(double actual) {
            double half = (upper - lower) / 2;
            double beyond = actual < lower ? lower - actual : actual > upper ? actual - upper : 0;
            return beyond == 0 ? 0 : half == 0 ? Double.POSITIVE_INFINITY : beyond / half;
        }
    }
}
