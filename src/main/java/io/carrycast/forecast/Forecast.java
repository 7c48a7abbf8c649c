package io.carrycast.forecast;

import java.util.List;
import java.util.Map;

/**
 * One forecast: what a key's model predicts after one event.
 *
 * @param eventTimeMs  time of the event the forecast was made at
 * @param stepsSeen    events this key's state has been stepped with, this one included
 * @param stateNote    null, or what happened to the key's state before this step: {@link #RESET_AFTER_GAP},
 *                     {@link #REPRIMED_AFTER_GAP}, {@link #REBUILT_FOR_MODEL},
 *                     {@link #RESET_FOR_ROUTE}
 * @param points       one per forecast step, nearest first: the horizon's, then the rollout's (if the card
 *                     has a rollout block)
 * @param revision     0 for the first forecast at this key and event time; n for its n-th correction after a
 *                     late event of the key was inserted before it ({@link LateEvents})
 * @param bucket       for a card that resamples, what the stepped bucket held; null otherwise
 */
public record Forecast(String key, long eventTimeMs, String modelName, String modelVersion, String mode,
                       long stepsSeen, String stateNote, List<Point> points, int revision, Bucket bucket) {

    /** The key was silent longer than the maximum gap; its state restarted from zero. */
    public static final String RESET_AFTER_GAP = "reset_after_gap";
    /** The key was silent longer than the maximum gap; its state was rebuilt from its stored window. */
    public static final String REPRIMED_AFTER_GAP = "reprimed_after_gap";
    /** A new model with another state layout took over; the key's state was rebuilt from its window. */
    public static final String REBUILT_FOR_MODEL = "rebuilt_for_model";
    /**
     * The key moved from another route whose model's features this route's model does not read; its state and
     * window restarted empty.
     */
    public static final String RESET_FOR_ROUTE = "reset_for_route";

    public Forecast {
        points = List.copyOf(points);
        if (revision < 0) {
            throw new IllegalArgumentException("revision must be >= 0, found " + revision);
        }
    }

    /** A first forecast (revision 0) made at one event (no resampled bucket). */
    public Forecast(String key, long eventTimeMs, String modelName, String modelVersion, String mode,
                    long stepsSeen, String stateNote, List<Point> points) {
        this(key, eventTimeMs, modelName, modelVersion, mode, stepsSeen, stateNote, points, 0, null);
    }

    /** This forecast marked as revision {@code next}. */
    public Forecast withRevision(int next) {
        return new Forecast(key, eventTimeMs, modelName, modelVersion, mode, stepsSeen, stateNote, points, next, bucket);
    }

    /** This forecast with other points (the same points with their intervals). */
    public Forecast withPoints(List<Point> next) {
        return new Forecast(key, eventTimeMs, modelName, modelVersion, mode, stepsSeen, stateNote, next, revision,
                bucket);
    }

    /** This forecast as made at a resampled bucket. */
    public Forecast withBucket(Bucket bucket) {
        return new Forecast(key, eventTimeMs, modelName, modelVersion, mode, stepsSeen, stateNote, points, revision,
                bucket);
    }

    /**
     * The cadence bucket a resampled forecast was made at; its start is the forecast's event time.
     *
     * @param events       events the bucket held
     * @param filledBefore empty buckets stepped just before it with carried or zero values
     */
    public record Bucket(int events, int filledBefore) {
    }

    /**
     * @param step         1 for the next event, up to the horizon, or up to the rollout's steps
     * @param targetTimeMs event time + step * cadence; for a resampled forecast, the start of the step-th bucket
     *                     after the one it was made at ({@link Resampler#bucketStartAfter})
     * @param values       de-normalised value per target field, in the card's target order
     * @param rollout      whether the model was fed its own forecasts to reach this step (steps past the
     *                     horizon); false for the steps of the event's own model call
     * @param intervals    one per configured level, ascending; empty when intervals are off
     */
    public record Point(int step, long targetTimeMs, Map<String, Double> values, boolean rollout,
                        List<Interval> intervals) {

        public Point {
            intervals = List.copyOf(intervals);
        }

        /** A point without intervals. */
        public Point(int step, long targetTimeMs, Map<String, Double> values, boolean rollout) {
            this(step, targetTimeMs, values, rollout, List.of());
        }

        /** A step of the event's own model call. */
        public Point(int step, long targetTimeMs, Map<String, Double> values) {
            this(step, targetTimeMs, values, false);
        }

        /** This point with intervals. */
        public Point withIntervals(List<Interval> next) {
            return new Point(step, targetTimeMs, values, rollout, next);
        }
    }

    /**
     * A prediction interval of one point at one coverage level ({@code io.carrycast.accuracy.Intervals}).
     *
     * @param lower per target field, in the card's target order: the lower bound, or null when the key has too
     *              few scored errors of this step for this level yet
     * @param upper the upper bounds likewise
     */
    public record Interval(double level, Map<String, Double> lower, Map<String, Double> upper) {
        public Interval {
            lower = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(lower));
            upper = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(upper));
        }
    }
}
