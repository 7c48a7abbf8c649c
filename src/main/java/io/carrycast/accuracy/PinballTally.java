package io.carrycast.accuracy;

/**
 * Sums of a quantile model's pinball losses ({@link Score#pinball()}), one per scored value: the one place the
 * mean pinball loss is computed, for live scoring ({@link AccuracyBoard}) and the backtest's table.
 *
 * @param count values scored with a pinball loss
 * @param sum   the sum of their pinball losses, each averaged over the model's quantiles
 */
public record PinballTally(long count, double sum) {

    public static final PinballTally EMPTY = new PinballTally(0, 0);

    public PinballTally add(double pinball) {
        return new PinballTally(count + 1, sum + pinball);
    }

    /** The mean pinball loss: lower is better; NaN when none was scored. */
    public double mean() {
        return count == 0 ? Double.NaN : sum / count;
    }
}
