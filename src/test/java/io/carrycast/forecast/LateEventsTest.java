package io.carrycast.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.state.KeyHistory;
import io.carrycast.state.KeyState;
import io.carrycast.testing.Fixture;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A key's history stays within its bounds, and events it cannot correct are refused with the reason. */
class LateEventsTest {

    private static final long MINUTE = 60_000L;
    private static final long START = Instant.parse("2024-05-01T00:00:00Z").toEpochMilli();

    private RecurrentModelRunner runner;
    private Forecaster model;

    @BeforeEach
    void openModel() {
        runner = RecurrentModelRunner.open(Fixture.load("lstm").bundle(), RunnerOptions.defaults());
        model = new Forecaster(runner);
    }

    @AfterEach
    void closeModel() {
        runner.close();
    }

    @Test
    void shouldHoldAtMostTheMaximumEventsPlusOneSnapshotSpanWhenTheLatenessAllowsMore() {
        LateEvents late = lateEvents(new LateEvents.Bound(24 * 60 * MINUTE, 8));
        Stepped key = stepInOrder(late, 100);

        int held = key.history.events().size();
        assertTrue(held >= 8 - 2 && held <= 8 + 2, held + " events held");
        int stateBytes = key.state.encode().length;
        int perEvent = Long.BYTES + 2 * Integer.BYTES + 3 * Float.BYTES;
        int snapshots = (int) key.history.events().stream().filter(h -> h.snapshot() != null).count();
        assertEquals(1 + Long.BYTES + 4 * Integer.BYTES + stateBytes + held * perEvent + snapshots * stateBytes,
                key.history.encode().length, "the documented size: header, base, events, snapshots");
        assertTrue(snapshots <= 5, snapshots + " snapshots");

        long beforeHistory = key.history.baseTimeMs() - MINUTE / 2;
        InvalidEventException refused = assertThrows(InvalidEventException.class, () -> late.correct("k",
                beforeHistory, features(new Random(1)), key.state, null, key.history));
        assertEquals(Reason.LATE, refused.reason());
        assertEquals("event time " + Instant.ofEpochMilli(beforeHistory) + " of key 'k' is not after "
                + Instant.ofEpochMilli(key.history.baseTimeMs()) + ", before the oldest event the key's history "
                + "holds (carrycast.lateness.history.max.events = 8)", refused.getMessage());
    }

    @Test
    void shouldLetGoOfEventsOnceNoLateEventCanPrecedeThem() {
        LateEvents late = lateEvents(new LateEvents.Bound(10 * MINUTE, 64));
        Stepped key = stepInOrder(late, 200);

        long span = key.history.latestTimeMs() - key.history.baseTimeMs();
        assertTrue(span >= 10 * MINUTE && span <= 15 * MINUTE, "history spans " + span / MINUTE + " minutes");
    }

    @Test
    void shouldRefuseAnEventAtAHeldEventsTimeWithOtherValues() {
        LateEvents late = lateEvents(new LateEvents.Bound(10 * MINUTE, 64));
        Stepped key = stepInOrder(late, 5);
        long heldTime = START + 2 * MINUTE;

        InvalidEventException refused = assertThrows(InvalidEventException.class, () -> late.correct("k",
                heldTime, new float[] {9, 9, 9}, key.state, null, key.history));
        assertEquals("event time " + Instant.ofEpochMilli(heldTime) + " of key 'k' has the time of a held event "
                + "of the key with other values", refused.getMessage());
    }

    private LateEvents lateEvents(LateEvents.Bound bound) {
        return new LateEvents(model, Admission.forModel(model, Admission.GapRule.NONE), bound);
    }

    private record Stepped(KeyState state, KeyHistory history) {
    }

    /** One key's events, a minute apart, stepped in order one per call as the backtest does. */
    private Stepped stepInOrder(LateEvents late, int count) {
        Random random = new Random(3);
        KeyState state = null;
        KeyHistory history = null;
        for (int i = 0; i < count; i++) {
            Forecaster.Request request = new Forecaster.Request("k", START + i * MINUTE, features(random), state, null);
            Forecaster.Outcome outcome = model.process(java.util.List.of(request)).get(0);
            history = late.record(history, request, outcome);
            state = outcome.state();
        }
        return new Stepped(state, history);
    }

    private static float[] features(Random random) {
        return new float[] {(float) random.nextGaussian(), (float) random.nextGaussian(), (float) random.nextGaussian()};
    }
}
