package io.carrycast.accuracy;

import io.carrycast.bundle.InvalidModelException;
import io.carrycast.bundle.ModelBundle;
import java.util.Arrays;

/**
 * The rule that turns a key's recent forecast errors into prediction intervals: split conformal over a
 * rolling window. For one key, target and step, the last {@code window} absolute errors |forecast - actual| of
 * that step are kept ({@link IntervalErrors}); the interval at level a is forecast ± q, with q the k-th smallest
 * of the n kept errors and k = ceil((n + 1) * a), computed in double precision. When k > n the key has too few
 * errors for that level and the forecast has no interval at it yet.
 *
 * <p>Under exchangeable errors this gives at least a coverage a on average over forecasts (marginal, not per
 * forecast); under a drift it follows the last {@code window} errors, so a longer window is steadier and a
 * shorter one reacts sooner.
 *
 * @param levels coverage levels, each strictly between 0 and 1, ascending; empty: no intervals
 * @param window most errors kept per key, target and step
 */
public record Intervals(double[] levels, int window) {

    /** Errors kept per key, target and step unless configured otherwise. */
    public static final int DEFAULT_WINDOW = 100;
    /** No intervals are computed. */
    public static final Intervals NONE = new Intervals(new double[0], DEFAULT_WINDOW);

    public Intervals {
        levels = levels.clone();
        for (int i = 0; i < levels.length; i++) {
            if (!(levels[i] > 0 && levels[i] < 1)) {
                throw new IllegalArgumentException("interval level must be strictly between 0 and 1, found "
                        + levels[i]);
            }
            if (i > 0 && levels[i] <= levels[i - 1]) {
                throw new IllegalArgumentException("interval levels must be ascending and distinct, found "
                        + Arrays.toString(levels));
            }
        }
        if (window < 1 || window > Short.MAX_VALUE) {
            throw new IllegalArgumentException("interval window must be between 1 and " + Short.MAX_VALUE
                    + " errors, found " + window);
        }
    }

    public boolean enabled() {
        return levels.length > 0;
    }

    /**
     * Refuses a quantile card while intervals from live errors are on: its intervals come from the model, and a
     * forecast carries one kind of interval only, so that each level's scores mean one thing.
     *
     * @throws InvalidModelException naming the card, its quantiles and the levels set
     */
    public void requireServable(ModelBundle bundle) {
        if (enabled() && bundle.card().hasQuantiles()) {
            throw new InvalidModelException(bundle.directory().resolve(ModelBundle.CARD_FILE) + ": field "
                    + "'targets[0].quantiles' declares quantiles " + bundle.card().quantiles() + " while "
                    + "carrycast.intervals.levels is set to " + Arrays.toString(levels) + ": a quantile model's "
                    + "intervals come from the model; leave carrycast.intervals.levels empty to serve it");
        }
    }

    /**
     * The rank of the error that bounds level {@code level} among {@code n} errors, 1-based: ceil((n + 1) * a).
     * Above n when n errors are too few for that level.
     */
    public static int rank(int n, double level) {
        return (int) Math.ceil((n + 1) * level);
    }

    /** The fewest errors that give an interval at {@code level}. */
    public static int errorsNeeded(double level) {
        int n = 1;
        while (rank(n, level) > n) {
            n++;
        }
        return n;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Intervals i && window == i.window && Arrays.equals(levels, i.levels);
    }

    @Override
    public int hashCode() {
        return 31 * window + Arrays.hashCode(levels);
    }

    @Override
    public String toString() {
        return "Intervals" + Arrays.toString(levels) + " over " + window + " errors";
    }
}
