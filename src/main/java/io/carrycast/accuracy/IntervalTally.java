package io.carrycast.accuracy;

/**
 * Sums over scored values' intervals at one level: the one place coverage, mean width and the interval
 * (Winkler) score are computed, for live scoring ({@link AccuracyBoard}) and the backtest's table. Each value
 * is added in the order it was scored, so two tallies over the same values in the same order agree exactly.
 *
 * @param count      values scored that had an interval at this level
 * @param covered    of those, the ones whose actual lay inside (bounds included)
 * @param widthSum   sum of upper - lower
 * @param winklerSum sum of the interval scores ({@link Score.Range#winkler})
 */
public record IntervalTally(long count, long covered, double widthSum, double winklerSum) {

    public static final IntervalTally EMPTY = new IntervalTally(0, 0, 0, 0);

    public IntervalTally add(Score.Range range, double actual) {
        return new IntervalTally(count + 1, covered + (range.covers(actual) ? 1 : 0), widthSum + range.width(),
                winklerSum + range.winkler(actual));
    }

    /** The share of actuals inside, 0 to 1; NaN when none was scored. */
    public double coverage() {
        return count == 0 ? Double.NaN : (double) covered / count;
    }

    public double meanWidth() {
        return count == 0 ? Double.NaN : widthSum / count;
    }

    /** The mean interval score: lower is better. */
    public double meanWinkler() {
        return count == 0 ? Double.NaN : winklerSum / count;
    }
}
