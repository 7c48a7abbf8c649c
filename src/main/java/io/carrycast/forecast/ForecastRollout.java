package io.carrycast.forecast;

import io.carrycast.bundle.FeatureSpec;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.Rollout;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.runner.RecurrentModelRunner;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;

/**
 * Forecasts past the model's horizon for a batch of keys, as the card's {@link Rollout} block says: the
 * model is fed inputs built from its own forecasts, one batched runner call per block of the horizon for
 * all keys together, on copies of the keys' states (or windows). Nothing it computes is stored.
 *
 * <p>Normalised forecasts cross this class key-major and step-major: key b's output value v of step s (1-based)
 * is {@code forecasts[(b * steps + s - 1) * valuesPerStep + v]}, with {@link ModelCard#valuesPerStep} values per
 * step (one per target, or per target and quantile); the value fed back for target t is at
 * {@link ModelCard#pointIndex}, the median of a quantile card.
 */
final class ForecastRollout {

    private final RecurrentModelRunner runner;
    private final ModelCard card;
    private final List<FeatureSpec> features;
    private final List<TargetSpec> targets;
    private final List<Rollout.Input> inputs;
    private final int steps;
    private final int horizon;
    private final int featureCount;
    private final int perStep;
    private final long cadenceMs;
    private final boolean needsCalendar;

    ForecastRollout(RecurrentModelRunner runner, ModelCard card) {
        this.runner = runner;
        this.card = card;
        this.features = card.features();
        this.targets = card.targets();
        this.inputs = card.rollout().inputs();
        this.steps = card.rollout().steps();
        this.horizon = card.horizon();
        this.featureCount = features.size();
        this.perStep = card.valuesPerStep();
        this.cadenceMs = card.cadence().toMillis();
        this.needsCalendar = inputs.stream().anyMatch(input -> input.source() == Rollout.Source.CALENDAR);
    }

    /**
     * Rolls stateful keys forward from the states their real step produced.
     *
     * @param eventTimes the time of each key's event
     * @param features   {@code batch * F}: each key's normalised event features, the values held
     * @param firstBlock {@code batch * horizon * valuesPerStep}: the real step's forecasts
     * @param states     one array per state tensor, {@code batch * S} each: the states after the real step;
     *                   read, never written
     * @return {@code batch * steps * valuesPerStep} normalised forecasts, the real step's first
     */
    float[] rollStateful(int batch, long[] eventTimes, float[] features, float[] firstBlock, float[][] states) {
        float[] forecasts = withFirstBlock(batch, firstBlock);
        int stateSize = runner.stateSizePerKey();
        float[][] current = states;
        float[][] spareA = new float[states.length][batch * stateSize];
        float[][] spareB = new float[states.length][batch * stateSize];
        float[] sequence = new float[batch * horizon * featureCount];
        float[] block = new float[batch * horizon * perStep];
        for (int done = horizon; done < steps; done += horizon) {
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < horizon; j++) {
                    buildInput(sequence, (b * horizon + j) * featureCount, b, done - horizon + 1 + j, eventTimes[b],
                            features, forecasts);
                }
            }
            float[][] next = current == spareA ? spareB : spareA;
            runner.stepSequence(batch, horizon, sequence, current, block, next);
            current = next;
            copyBlock(batch, block, forecasts, done);
        }
        return forecasts;
    }

    /**
     * Rolls window-mode keys forward: the built inputs are appended to a copy of each key's window and the
     * model runs over the last W rows once per block.
     *
     * @param windows    {@code batch * W * F}: each key's full window after its event, oldest row first
     * @param features   {@code batch * F}: each key's normalised event features, the values held
     * @param firstBlock {@code batch * horizon * valuesPerStep}: the forecasts over the real window
     */
    float[] rollWindows(int batch, long[] eventTimes, float[] windows, float[] features, float[] firstBlock) {
        float[] forecasts = withFirstBlock(batch, firstBlock);
        int length = card.window();
        float[] current = windows;
        float[] spareA = new float[windows.length];
        float[] spareB = new float[windows.length];
        float[] block = new float[batch * horizon * perStep];
        for (int done = horizon; done < steps; done += horizon) {
            float[] next = current == spareA ? spareB : spareA;
            for (int b = 0; b < batch; b++) {
                // The key's rows followed by the block's H built rows; the last W of them are kept.
                for (int row = 0; row < length; row++) {
                    int source = row + horizon;
                    int offset = (b * length + row) * featureCount;
                    if (source < length) {
                        System.arraycopy(current, (b * length + source) * featureCount, next, offset, featureCount);
                    } else {
                        buildInput(next, offset, b, done - horizon + 1 + source - length, eventTimes[b], features,
                                forecasts);
                    }
                }
            }
            runner.runWindows(batch, length, next, block, null);
            current = next;
            copyBlock(batch, block, forecasts, done);
        }
        return forecasts;
    }

    private float[] withFirstBlock(int batch, float[] firstBlock) {
        float[] forecasts = new float[batch * steps * perStep];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(firstBlock, b * horizon * perStep, forecasts, b * steps * perStep,
                    horizon * perStep);
        }
        return forecasts;
    }

    /** Puts a block's forecasts at steps {@code done + 1 .. done + horizon}. */
    private void copyBlock(int batch, float[] block, float[] forecasts, int done) {
        for (int b = 0; b < batch; b++) {
            System.arraycopy(block, b * horizon * perStep, forecasts, (b * steps + done) * perStep,
                    horizon * perStep);
        }
    }

    /** Key b's model input for forecast step {@code step}, written to {@code target} at {@code offset}. */
    private void buildInput(float[] target, int offset, int b, int step, long eventTimeMs, float[] heldFeatures,
                            float[] forecasts) {
        ZonedDateTime time = needsCalendar
                ? Instant.ofEpochMilli(eventTimeMs + step * cadenceMs).atZone(card.timezone()) : null;
        for (int f = 0; f < featureCount; f++) {
            Rollout.Input input = inputs.get(f);
            FeatureSpec feature = features.get(f);
            target[offset + f] = switch (input.source()) {
                case HOLD -> heldFeatures[b * featureCount + f];
                case CALENDAR -> (float) feature.normalise(feature.calendar().valueAt(time));
                case FROM_TARGET -> (float) feature.normalise(targets.get(input.target()).denormalise(
                        forecasts[(b * steps + step - 1) * perStep + card.pointIndex(input.target())]));
            };
        }
    }
}
