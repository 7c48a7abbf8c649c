package io.carrycast.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carrycast.forecast.Admission.Decision;
import io.carrycast.forecast.Admission.GapRule;
import io.carrycast.forecast.Admission.LastAccepted;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import io.carrycast.state.StatePreparation;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The admission rules on their own: no Kafka, no model; states, windows and the model's verdict made up. */
class AdmissionTest {

    private static final String KEY = "sensor-a";
    private static final long T0 = Instant.parse("2024-03-30T21:00:00Z").toEpochMilli();
    private static final long MINUTE = 60_000L;
    private static final float[] FEATURES = {0.5f, -1.25f, 2f};
    /** The served model steps two state tensors of four floats. */
    private static final int TENSORS = 2;
    private static final int FLOATS = 4;

    private static final Supplier<FeatureWindow> NO_WINDOW = () -> null;

    private static Admission admission(GapRule gapRule, boolean windowKept) {
        return new Admission(gapRule, state -> state.tensors().length == TENSORS
                && state.tensors()[0].length == FLOATS, windowKept);
    }

    private static KeyState steppedAt(long timeMs, float[] features) {
        return new KeyState(7L, 3, timeMs, KeyState.digest(timeMs, features), new float[TENSORS][FLOATS]);
    }

    private static FeatureWindow windowOf(int events) {
        FeatureWindow window = FeatureWindow.empty(FEATURES.length, 6);
        for (int i = 0; i < events; i++) {
            window = window.append(FEATURES);
        }
        return window;
    }

    @Test
    void shouldStepAKeysFirstEventWithoutResetEvenUnderAMaximumGap() {
        Decision decision = admission(new GapRule(MINUTE, false), false)
                .admit(KEY, T0, FEATURES, LastAccepted.none(), NO_WINDOW);

        assertSame(Decision.step(StatePreparation.CONTINUE), decision);
    }

    @Test
    void shouldContinueTheStateForAnEventAfterTheLastAcceptedOne() {
        Decision decision = admission(GapRule.NONE, false)
                .admit(KEY, T0 + 1, FEATURES, LastAccepted.stepped(steppedAt(T0, FEATURES)), NO_WINDOW);

        assertEquals(new Decision(false, StatePreparation.CONTINUE), decision);
    }

    @Test
    void shouldTreatAnEventWithTheTimeAndFeaturesOfTheLastSteppedOneAsARedelivery() {
        Decision decision = admission(GapRule.NONE, false)
                .admit(KEY, T0, FEATURES.clone(), LastAccepted.stepped(steppedAt(T0, FEATURES)), NO_WINDOW);

        assertSame(Decision.REDELIVERY, decision);
    }

    @Test
    void shouldTreatAnEventWithTheTimeAndFeaturesOfTheLastWaitingOneAsARedelivery() {
        Decision decision = admission(GapRule.NONE, false)
                .admit(KEY, T0, FEATURES.clone(), LastAccepted.waiting(T0, FEATURES), NO_WINDOW);

        assertSame(Decision.REDELIVERY, decision);
    }

    @Test
    void shouldRefuseAnEventAtTheLastTimeWithOtherFeaturesAsLate() {
        float[] other = {0.5f, -1.25f, 2.0001f};
        InvalidEventException e = assertThrows(InvalidEventException.class, () -> admission(GapRule.NONE, false)
                .admit(KEY, T0, other, LastAccepted.stepped(steppedAt(T0, FEATURES)), NO_WINDOW));

        assertEquals(InvalidEventException.Reason.LATE, e.reason());
        assertEquals("event time 2024-03-30T21:00:00Z of key 'sensor-a' is not after its last accepted event "
                + "2024-03-30T21:00:00Z", e.getMessage());
    }

    @Test
    void shouldRefuseAnEventBeforeTheLastWaitingOneAsLate() {
        InvalidEventException e = assertThrows(InvalidEventException.class, () -> admission(GapRule.NONE, false)
                .admit(KEY, T0 - MINUTE, FEATURES, LastAccepted.waiting(T0, FEATURES), NO_WINDOW));

        assertEquals(InvalidEventException.Reason.LATE, e.reason());
        assertEquals("event time 2024-03-30T20:59:00Z of key 'sensor-a' is not after its last accepted event "
                + "2024-03-30T21:00:00Z", e.getMessage());
    }

    @Test
    void shouldResetTheStateAfterASilenceLongerThanTheMaximumGap() {
        Decision decision = admission(new GapRule(10 * MINUTE, false), true)
                .admit(KEY, T0 + 10 * MINUTE + 1, FEATURES, LastAccepted.stepped(steppedAt(T0, FEATURES)), NO_WINDOW);

        assertEquals(StatePreparation.RESET_AFTER_GAP, decision.preparation());
    }

    @Test
    void shouldContinueAfterASilenceOfExactlyTheMaximumGap() {
        Decision decision = admission(new GapRule(10 * MINUTE, false), true)
                .admit(KEY, T0 + 10 * MINUTE, FEATURES, LastAccepted.stepped(steppedAt(T0, FEATURES)), NO_WINDOW);

        assertEquals(StatePreparation.CONTINUE, decision.preparation());
    }

    @Test
    void shouldMeasureTheGapFromTheLastWaitingEvent() {
        Decision decision = admission(new GapRule(10 * MINUTE, false), false)
                .admit(KEY, T0 + 11 * MINUTE, FEATURES, LastAccepted.waiting(T0, FEATURES), NO_WINDOW);

        assertEquals(StatePreparation.RESET_AFTER_GAP, decision.preparation());
    }

    @Test
    void shouldReprimeAfterAGapWhenTheRuleSaysSoAndTheCardKeepsAWindow() {
        Decision decision = admission(new GapRule(10 * MINUTE, true), true)
                .admit(KEY, T0 + 11 * MINUTE, FEATURES, LastAccepted.stepped(steppedAt(T0, FEATURES)), NO_WINDOW);

        assertEquals(StatePreparation.REPRIME_AFTER_GAP, decision.preparation());
    }

    @Test
    void shouldResetRatherThanReprimeWhenTheCardKeepsNoWindow() {
        Decision decision = admission(new GapRule(10 * MINUTE, true), false)
                .admit(KEY, T0 + 11 * MINUTE, FEATURES, LastAccepted.stepped(steppedAt(T0, FEATURES)), NO_WINDOW);

        assertEquals(StatePreparation.RESET_AFTER_GAP, decision.preparation());
    }

    @Test
    void shouldIgnoreAnySilenceWithoutAMaximumGap() {
        Decision decision = admission(GapRule.NONE, true)
                .admit(KEY, T0 + 365 * 24 * 60 * MINUTE, FEATURES, LastAccepted.stepped(steppedAt(T0, FEATURES)),
                        NO_WINDOW);

        assertEquals(StatePreparation.CONTINUE, decision.preparation());
    }

    @Test
    void shouldRebuildAStateTheModelCannotContinueFromTheStoredWindow() {
        KeyState foreign = new KeyState(42L, 5, T0, 0L, new float[1][32]);

        Decision decision = admission(GapRule.NONE, true)
                .admit(KEY, T0 + MINUTE, FEATURES, LastAccepted.stepped(foreign), () -> windowOf(3));

        assertEquals(StatePreparation.REBUILD_FOR_MODEL, decision.preparation());
    }

    @Test
    void shouldRebuildRatherThanResetWhenTheStateIsForeignAndTheKeyWasSilent() {
        KeyState foreign = new KeyState(42L, 5, T0, 0L, new float[1][32]);

        Decision decision = admission(new GapRule(MINUTE, false), true)
                .admit(KEY, T0 + 60 * MINUTE, FEATURES, LastAccepted.stepped(foreign), () -> windowOf(1));

        assertEquals(StatePreparation.REBUILD_FOR_MODEL, decision.preparation());
    }

    @Test
    void shouldRefuseAStateTheModelCannotContinueWhenNoWindowIsStored() {
        KeyState foreign = new KeyState(0x2aL, 5, T0, 0L, new float[1][32]);
        Admission admission = admission(GapRule.NONE, false);

        for (Supplier<FeatureWindow> window : java.util.List.<Supplier<FeatureWindow>>of(NO_WINDOW, () -> windowOf(0))) {
            InvalidEventException e = assertThrows(InvalidEventException.class, () -> admission
                    .admit(KEY, T0 + MINUTE, FEATURES, LastAccepted.stepped(foreign), window));

            assertEquals(InvalidEventException.Reason.INCOMPATIBLE_STATE, e.reason());
            assertEquals("stored state of key 'sensor-a' was written by model 2a with 1 tensor(s) of 32 floats, "
                    + "which the current model cannot continue, and no window is stored to rebuild it from (the "
                    + "model card's window is 0)", e.getMessage());
        }
    }

    @Test
    void shouldReadTheStoredWindowOnlyWhenAStateMustBeRebuilt() {
        AtomicInteger reads = new AtomicInteger();
        Supplier<FeatureWindow> counted = () -> {
            reads.incrementAndGet();
            return windowOf(2);
        };
        Admission admission = admission(new GapRule(MINUTE, true), true);

        admission.admit(KEY, T0 + 1, FEATURES, LastAccepted.stepped(steppedAt(T0, FEATURES)), counted);
        admission.admit(KEY, T0 + 60 * MINUTE, FEATURES, LastAccepted.stepped(steppedAt(T0, FEATURES)), counted);
        assertEquals(0, reads.get(), "continuing and re-priming need no window at admission");

        admission.admit(KEY, T0 + 1, FEATURES, LastAccepted.stepped(new KeyState(1L, 1, T0, 0L, new float[0][])),
                counted);
        assertEquals(1, reads.get());
    }

    @Test
    void shouldNotCheckTheStoredStateAgainForAnEventFollowingAWaitingOne() {
        Admission admission = new Admission(GapRule.NONE, state -> {
            throw new AssertionError("the stored state was checked when the waiting event was admitted");
        }, false);

        Decision decision = admission.admit(KEY, T0 + 1, FEATURES, LastAccepted.waiting(T0, FEATURES), NO_WINDOW);

        assertEquals(StatePreparation.CONTINUE, decision.preparation());
    }

    @Test
    void shouldRefuseANegativeMaximumGap() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new GapRule(-1, false));
        assertEquals("maximum gap must be >= 0 ms, found -1", e.getMessage());
    }
}
