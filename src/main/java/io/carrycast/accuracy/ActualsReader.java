package io.carrycast.accuracy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.Resampler;
import java.util.List;

/**
 * Reads an event's (or a resampled bucket's) actual values of the target fields, for live scoring, the
 * backtest's evaluation and the demo. A target's actual is its field's value under the feature fields' rule
 * ({@link FeatureExtractor#finiteNumber}); a target without one is NaN in the {@link Scorer.Actuals} read. What a
 * missing actual then does is the caller's policy: live scoring keeps the NaN and skips the steps due at it
 * ({@link Scorer.Skip#NO_ACTUAL}); the evaluation leaves it out ({@link Scorer.Actuals#observed()}). An event
 * without a target still forecasts; it just cannot score one.
 */
public final class ActualsReader {

    private final List<String> targets;

    /** @param targets the target fields, in the card's order */
    public ActualsReader(List<String> targets) {
        this.targets = targets;
    }

    /** The reader of {@code card}'s target fields. */
    public static ActualsReader forCard(ModelCard card) {
        return new ActualsReader(card.targets().stream().map(TargetSpec::field).toList());
    }

    public List<String> targets() {
        return targets;
    }

    /**
     * The actuals of an event read by {@link EventReader#read}.
     *
     * @param slots each target's slot in the fields the event was read for
     */
    public Scorer.Actuals read(EventReader.Values event, int[] slots) {
        double[] values = new double[slots.length];
        for (int t = 0; t < values.length; t++) {
            int slot = slots[t];
            values[t] = event.isNumber(slot) ? event.number(slot) : valueOf(event.node(slot), targets.get(t));
        }
        return new Scorer.Actuals(targets, values);
    }

    /** The actuals of a parsed event. */
    public Scorer.Actuals read(ObjectNode event) {
        double[] values = new double[targets.size()];
        for (int t = 0; t < values.length; t++) {
            values[t] = valueOf(event.get(targets.get(t)), targets.get(t));
        }
        return new Scorer.Actuals(targets, values);
    }

    /** A resampled bucket's actuals: its aggregates of the target fields (NaN for a target not aggregated). */
    public Scorer.Actuals read(Resampler resampler, Resampler.Step bucket) {
        double[] values = new double[targets.size()];
        for (int t = 0; t < values.length; t++) {
            values[t] = resampler.valueOf(bucket, targets.get(t));
        }
        return new Scorer.Actuals(targets, values);
    }

    private static double valueOf(JsonNode value, String field) {
        try {
            return FeatureExtractor.finiteNumber(value, field);
        } catch (InvalidEventException notObserved) {
            return Double.NaN;
        }
    }
}
