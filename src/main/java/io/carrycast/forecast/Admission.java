package io.carrycast.forecast;

import io.carrycast.bundle.Mode;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import io.carrycast.state.StatePreparation;
import java.time.Instant;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The rules an event must pass before its key's state is stepped with it. The stream processor and the
 * backtest both ask this class, so the same events give the same forecasts and the same refusals in both.
 * Holds no per-key data: the caller says what it knows of the key ({@link LastAccepted}) and reads the key's
 * stored window when asked to. Nothing is stored by admitting an event.
 *
 * <p>Per key, event time must increase, because a recurrent state depends on order:
 * <ul>
 *   <li>an event with the time and the normalised features of the key's last accepted event is an exact
 *       redelivery (a producer retry, a replay): {@link Decision#REDELIVERY}, dropped, not stepped;</li>
 *   <li>any other event not after the key's last accepted one is refused as {@link Reason#LATE};</li>
 *   <li>a stored state the model cannot continue (another state layout, after a model swap) is rebuilt
 *       from the key's stored window ({@link StatePreparation#REBUILD_FOR_MODEL}), or refused as
 *       {@link Reason#INCOMPATIBLE_STATE} when no window is stored;</li>
 *   <li>an event more than the maximum gap after the key's last one (models that carry a state only)
 *       starts from a zero state ({@link StatePreparation#RESET_AFTER_GAP}) or, under the reprime policy
 *       and with a window kept by the card, from the state the model reaches over that window
 *       ({@link StatePreparation#REPRIME_AFTER_GAP}).</li>
 * </ul>
 * Refusals are thrown as {@link InvalidEventException}, like every other reason an event cannot be used.
 */
public final class Admission {

    /**
     * What happens after a key's silence ({@code carrycast.state.max.gap.ms}, {@code carrycast.state.gap.policy}).
     *
     * @param maxGapMs longest silence, in event time, after which the state still follows on; 0: no limit
     * @param reprime  whether the state is re-primed from the key's window after a longer one (else reset)
     */
    public record GapRule(long maxGapMs, boolean reprime) {
        /** No limit: a key's state follows on after any silence. */
        public static final GapRule NONE = new GapRule(0, false);

        public GapRule {
            if (maxGapMs < 0) {
                throw new IllegalArgumentException("maximum gap must be >= 0 ms, found " + maxGapMs);
            }
        }
    }

    /**
     * What to do with an admitted event: drop it as an exact redelivery, or step it after preparing the key's
     * state as {@link #preparation} says.
     */
    public record Decision(boolean redelivery, StatePreparation preparation) {
        public static final Decision REDELIVERY = new Decision(true, null);
        private static final Decision[] STEPS = stepDecisions();

        public static Decision step(StatePreparation preparation) {
            return STEPS[preparation.ordinal()];
        }

        private static Decision[] stepDecisions() {
            StatePreparation[] preparations = StatePreparation.values();
            Decision[] decisions = new Decision[preparations.length];
            for (StatePreparation preparation : preparations) {
                decisions[preparation.ordinal()] = new Decision(false, preparation);
            }
            return decisions;
        }
    }

    /**
     * A key's last accepted event, which its next event is checked against. Either stepped: the key's stored
     * state records its time and digest, and must be one the model can continue. Or accepted and still
     * waiting for its step (micro-batching): the stored state was checked when the key's first waiting event
     * was admitted, and later events follow that event's step.
     */
    public static final class LastAccepted {
        private static final LastAccepted NONE = new LastAccepted(null, Long.MIN_VALUE, null);

        private final KeyState stored;
        private final long eventTimeMs;
        private final float[] waitingFeatures;

        private LastAccepted(KeyState stored, long eventTimeMs, float[] waitingFeatures) {
            this.stored = stored;
            this.eventTimeMs = eventTimeMs;
            this.waitingFeatures = waitingFeatures;
        }

        /** A key never stepped and with nothing waiting. */
        public static LastAccepted none() {
            return NONE;
        }

        /** The key's last event was stepped into {@code stored}; null for a key never stepped. */
        public static LastAccepted stepped(KeyState stored) {
            return stored == null ? NONE : new LastAccepted(stored, stored.lastEventTimeMs(), null);
        }

        /** The key's last accepted event waits for its step with these normalised features. */
        public static LastAccepted waiting(long eventTimeMs, float[] features) {
            return new LastAccepted(null, eventTimeMs, features);
        }

        boolean exists() {
            return eventTimeMs != Long.MIN_VALUE;
        }

        /** Hashed only when an event is not after this one, the rare case. */
        long digest() {
            return stored != null ? stored.lastEventDigest() : KeyState.digest(eventTimeMs, waitingFeatures);
        }
    }

    private final GapRule gapRule;
    private final Predicate<KeyState> modelContinues;
    private final boolean windowKept;

    /**
     * @param modelContinues whether the served model can step on from a stored state
     * @param windowKept     whether the served model's card keeps a window per key to prime a state from
     */
    public Admission(GapRule gapRule, Predicate<KeyState> modelContinues, boolean windowKept) {
        this.gapRule = gapRule;
        this.modelContinues = modelContinues;
        this.windowKept = windowKept;
    }

    /** The rules for the model {@code model} serves. A window-mode model carries no state, so gaps do not apply. */
    public static Admission forModel(Forecaster model, GapRule gapRule) {
        boolean carriesState = model.card().mode() == Mode.STATEFUL;
        return new Admission(carriesState ? gapRule : GapRule.NONE, model::fitsState, model.card().keepsWindow());
    }

    /**
     * Checks one event of {@code key} against the key's last accepted event.
     *
     * @param features     the event's normalised features, as the model reads them
     * @param storedWindow reads the key's stored window (or null); called only when a state must be rebuilt
     * @throws InvalidEventException as {@link Reason#LATE} or {@link Reason#INCOMPATIBLE_STATE}
     */
    public Decision admit(String key, long eventTimeMs, float[] features, LastAccepted last,
                          Supplier<FeatureWindow> storedWindow) {
        if (last.exists() && eventTimeMs <= last.eventTimeMs) {
            if (eventTimeMs == last.eventTimeMs && KeyState.digest(eventTimeMs, features) == last.digest()) {
                return Decision.REDELIVERY;
            }
            throw new InvalidEventException(Reason.LATE, "event time " + Instant.ofEpochMilli(eventTimeMs) + " of key '"
                    + key + "' is not after its last accepted event " + Instant.ofEpochMilli(last.eventTimeMs));
        }
        if (last.stored != null && !modelContinues.test(last.stored)) {
            requireWindow(key, last.stored, storedWindow.get());
            return Decision.step(StatePreparation.REBUILD_FOR_MODEL);
        }
        if (!isAfterGap(last, eventTimeMs)) {
            return Decision.step(StatePreparation.CONTINUE);
        }
        return Decision.step(gapRule.reprime() && windowKept
                ? StatePreparation.REPRIME_AFTER_GAP : StatePreparation.RESET_AFTER_GAP);
    }

    private boolean isAfterGap(LastAccepted last, long eventTimeMs) {
        return gapRule.maxGapMs() > 0 && last.exists() && eventTimeMs - last.eventTimeMs > gapRule.maxGapMs();
    }

    private static void requireWindow(String key, KeyState state, FeatureWindow window) {
        if (window == null || window.size() == 0) {
            float[][] tensors = state.tensors();
            throw new InvalidEventException(Reason.INCOMPATIBLE_STATE, "stored state of key '" + key
                    + "' was written by model " + Long.toHexString(state.modelFingerprint()) + " with "
                    + tensors.length + " tensor(s) of " + (tensors.length == 0 ? 0 : tensors[0].length)
                    + " floats, which the current model cannot continue, and no window is stored to rebuild it "
                    + "from (the model card's window is 0)");
        }
    }
}
