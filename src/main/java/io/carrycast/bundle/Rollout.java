package io.carrycast.bundle;

import java.util.List;
import java.util.Locale;

/**
 * The card's {@code rollout} block: forecast further ahead than the model's horizon by feeding the model
 * its own predictions (recursive forecasting). Checked against the card's features and targets by
 * {@link ModelCardParser}.
 *
 * <p>After the real step of an event (whose output is forecast steps 1 .. horizon), the model is stepped
 * on a copy of the key's new state with one built input per future step, in blocks of the horizon H: the
 * inputs for steps 1 .. H are built from block one's forecasts and fed one step each; the output after
 * the H-th of them is forecast steps H+1 .. 2H; and so on until {@link #steps}. The stored state is never
 * advanced by these steps. A window-mode model appends the built inputs to a copy of the key's window
 * instead and runs over its last W rows once per block.
 *
 * @param steps  forecast steps in all, the model's own horizon included; a multiple of the horizon
 * @param inputs how each model input is filled on a future step, in the card's feature order
 */
public record Rollout(int steps, List<Input> inputs) {

    public Rollout {
        inputs = List.copyOf(inputs);
    }

    /** Where a model input's value on a future step comes from. */
    public enum Source {
        /** The feature's value at the event the forecast is made at, unchanged. */
        HOLD,
        /** A calendar feature computed for the future step's time. */
        CALENDAR,
        /**
         * The forecast of a target for that step: de-normalised with the target's statistics and
         * normalised again with the feature's.
         */
        FROM_TARGET;

        public String cardName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * How one model input is filled on future steps.
     *
     * @param target the index in the card's targets for {@link Source#FROM_TARGET}, else -1
     */
    public record Input(Source source, int target) {
        public static final Input HOLD = new Input(Source.HOLD, -1);
        public static final Input CALENDAR = new Input(Source.CALENDAR, -1);

        public static Input fromTarget(int target) {
            return new Input(Source.FROM_TARGET, target);
        }
    }
}
