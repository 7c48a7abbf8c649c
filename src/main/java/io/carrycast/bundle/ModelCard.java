package io.carrycast.bundle;

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
        Resample resample) {

    public ModelCard {
        features = List.copyOf(features);
        targets = List.copyOf(targets);
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

    /** Values in one forecast output row: {@code horizon * targets}, ordered step by step. */
    public int outputsPerForecast() {
        return horizon * targets.size();
    }

    /** Whether the processor stores each key's recent feature vectors. */
    public boolean keepsWindow() {
        return window > 0;
    }
}
