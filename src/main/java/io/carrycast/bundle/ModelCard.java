package io.carrycast.bundle;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

/**
 * What {@code model.json} says about a model: how to build its inputs from events, how to read its
 * outputs, and the shape of the state it carries. Parsed and checked by {@link ModelCardParser}.
 *
 * @param window   events kept per key: the window a window-mode model runs over, and in stateful mode the
 *                 history kept for rebuilding state (0 keeps none)
 * @param cadence  the time between a key's events; forecast step k is stamped event time + k * cadence
 * @param timezone the zone calendar features are computed in
 * @param horizon  steps ahead forecast per event; the output holds horizon * targets values, step-major
 * @param rollout  how to forecast past the horizon by feeding predictions back, or null for no rollout
 * @param resample how a key's irregular events are combined into one value per cadence bucket, or null to
 *                 step once per event
 * @param quantiles the quantiles the model outputs of every target, ascending (a pinball-loss model); empty
 *                 for a model that outputs one value per target and step
 */
public record ModelCard(
        String name,
        String version,
        Mode mode,
        int window,
        Duration cadence,
        ZoneId timezone,
        List<FeatureSpec> features,
        List<TargetSpec> targets,
        int horizon,
        NetworkSpec network,
        TensorSpec tensors,
        Rollout rollout,
        Resample resample,
        List<Double> quantiles) {

    /** The quantile whose value is a quantile card's point forecast. */
    public static final double MEDIAN = 0.5;

    public ModelCard {
        features = List.copyOf(features);
        targets = List.copyOf(targets);
        quantiles = List.copyOf(quantiles);
    }

    /** A card without quantiles. */
    public ModelCard(String name, String version, Mode mode, int window, Duration cadence, ZoneId timezone,
                     List<FeatureSpec> features, List<TargetSpec> targets, int horizon, NetworkSpec network,
                     TensorSpec tensors, Rollout rollout, Resample resample) {
        this(name, version, mode, window, cadence, timezone, features, targets, horizon, network, tensors, rollout,
                resample, List.of());
    }

    /** A card without a resample block. */
    public ModelCard(String name, String version, Mode mode, int window, Duration cadence, ZoneId timezone,
                     List<FeatureSpec> features, List<TargetSpec> targets, int horizon, NetworkSpec network,
                     TensorSpec tensors, Rollout rollout) {
        this(name, version, mode, window, cadence, timezone, features, targets, horizon, network, tensors, rollout,
                null);
    }

    /** A card without a rollout block. */
    public ModelCard(String name, String version, Mode mode, int window, Duration cadence, ZoneId timezone,
                     List<FeatureSpec> features, List<TargetSpec> targets, int horizon, NetworkSpec network,
                     TensorSpec tensors) {
        this(name, version, mode, window, cadence, timezone, features, targets, horizon, network, tensors, null, null);
    }

    /** Whether a key's events are combined per cadence bucket before each step. */
    public boolean resamples() {
        return resample != null;
    }

    /** Steps in each forecast: the rollout's steps, or the horizon without a rollout. */
    public int forecastSteps() {
        return rollout == null ? horizon : rollout.steps();
    }

    /** Values in one forecast output row: {@code horizon * valuesPerStep()}, ordered step by step. */
    public int outputsPerForecast() {
        return horizon * valuesPerStep();
    }

    /** Whether the model outputs quantiles of its targets rather than one value each. */
    public boolean hasQuantiles() {
        return !quantiles.isEmpty();
    }

    /**
     * Output values per forecast step: one per target, or with quantiles one per target and quantile (each
     * target's quantiles together, ascending, targets in card order).
     */
    public int valuesPerStep() {
        return targets.size() * Math.max(1, quantiles.size());
    }

    /**
     * Where target {@code target}'s point forecast lies among a step's output values: the target's own value,
     * or with quantiles its median. Rollout feeds back this value.
     */
    public int pointIndex(int target) {
        return hasQuantiles() ? target * quantiles.size() + quantiles.indexOf(MEDIAN) : target;
    }

    /**
     * The coverage levels of a quantile card's intervals, ascending: one per pair (q, 1 - q) of its quantiles,
     * at level 1 - 2q, computed from the quantiles' decimal forms so that 0.1 gives 0.8 exactly as written.
     * Pair p's lower quantile is {@code quantiles().get(pairs - 1 - p)}, its upper one
     * {@code quantiles().get(quantiles().size() - pairs + p)}. Empty without quantiles.
     */
    public double[] intervalLevels() {
        int pairs = quantiles.size() / 2;
        double[] levels = new double[pairs];
        for (int p = 0; p < pairs; p++) {
            levels[p] = BigDecimal.ONE.subtract(BigDecimal.valueOf(quantiles.get(pairs - 1 - p))
                    .multiply(BigDecimal.valueOf(2))).doubleValue();
        }
        return levels;
    }

    /** Whether the processor stores each key's recent feature vectors. */
    public boolean keepsWindow() {
        return window > 0;
    }
}
