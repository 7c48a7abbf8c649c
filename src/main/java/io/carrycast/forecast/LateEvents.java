package io.carrycast.forecast;

import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyHistory;
import io.carrycast.state.KeyHistory.Held;
import io.carrycast.state.KeyState;
import io.carrycast.state.StatePreparation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Late events: an event not after its key's latest one is inserted in event-time order among the key's held
 * events ({@link KeyHistory}), and the key's state is replayed from before it, instead of being refused. The
 * stream processor and the backtest both call this class, so both correct the same events the same way.
 * Holds no per-key data: callers pass the key's stored state, window and history in and store what comes out.
 *
 * <p>The rules, for an event of a key whose history is held:
 * <ul>
 *   <li>the same time and normalised features as a held event (or the base's last event): an exact
 *       redelivery, dropped;</li>
 *   <li>the time of a held event with other values, more than the allowed lateness behind the key's latest
 *       event, or not after the oldest event the history still holds: refused as {@link Reason#LATE};</li>
 *   <li>otherwise the key's state is rewound to the last snapshot before the event's place, the event and
 *       every later held event are stepped in time order through the same {@link Admission} rules (gaps
 *       included) and the same {@link Forecaster} as in-order events, and forecasts are published for the
 *       late event and every later event, each one revision up.</li>
 * </ul>
 * A key without a usable history (lateness just turned on, or a model swap since) follows {@link Admission}'s
 * rules for late events.
 *
 * <p>Replays step one event per model call, so a replayed state is computed exactly as the in-order one was
 * (the stream may share an in-order step's model call between keys; ONNX Runtime may then round the last bits
 * differently).
 */
public final class LateEvents {

    /**
     * How late an event may be and how much history a key keeps for it ({@code carrycast.lateness.allowed.ms},
     * {@code carrycast.lateness.history.max.events}).
     *
     * @param allowedMs how far behind its key's latest event an event may be and still be corrected; 0: off
     * @param maxEvents most events a key's history holds; fewer when they span more than {@code allowedMs}
     */
    public record Bound(long allowedMs, int maxEvents) {
        /** Events a key's history holds unless configured otherwise. */
        public static final int DEFAULT_HISTORY_EVENTS = 64;
        /** Late events are refused, as without this class. */
        public static final Bound NONE = new Bound(0, DEFAULT_HISTORY_EVENTS);

        public Bound {
            if (allowedMs < 0) {
                throw new IllegalArgumentException("allowed lateness must be >= 0 ms, found " + allowedMs);
            }
            if (maxEvents < 1) {
                throw new IllegalArgumentException("history must hold >= 1 event, found " + maxEvents);
            }
        }

        public boolean enabled() {
            return allowedMs > 0;
        }

        /**
         * Most held events between two snapshots. A snapshot costs one state in the history; the oldest events can
         * be let go only up to a snapshot, so a history holds at most {@code maxEvents} + this many.
         */
        public int snapshotEvery() {
            return Math.max(1, maxEvents / 4);
        }
    }

    /**
     * What a late event did.
     *
     * @param redelivery whether it was an exact redelivery, dropped; nothing else is set then
     * @param replayed   events stepped again, the late one included
     * @param forecasts  corrected forecasts, in event-time order, each with its revision
     * @param state      the key's state after its latest event
     * @param window     the key's window after its latest event, or null when the card keeps none
     * @param history    the key's history with the late event held
     */
    public record Correction(boolean redelivery, int replayed, List<Forecast> forecasts, KeyState state,
                             FeatureWindow window, KeyHistory history) {
        static final Correction REDELIVERY = new Correction(true, 0, List.of(), null, null, null);

        /** The corrected forecast of the key's latest event, or null when it has none. */
        public Forecast latest() {
            if (forecasts.isEmpty()) {
                return null;
            }
            Forecast last = forecasts.get(forecasts.size() - 1);
            return last.eventTimeMs() == state.lastEventTimeMs() ? last : null;
        }
    }

    private final Forecaster model;
    private final Admission admission;
    private final Bound bound;
    private final long fingerprint;
    private final int featureCount;
    private final int windowCapacity;

    /**
     * The corrections of {@code model}'s late events, or null when none are made: no lateness is allowed, or the
     * card resamples (its late events join the key's open bucket, by the {@link Resampler}'s rules, and nothing
     * is replayed).
     */
    public static LateEvents forModel(Forecaster model, Admission admission, Bound bound) {
        return bound.enabled() && !model.card().resamples() ? new LateEvents(model, admission, bound) : null;
    }

    public LateEvents(Forecaster model, Admission admission, Bound bound) {
        this.model = model;
        this.admission = admission;
        this.bound = bound;
        this.fingerprint = model.runner().bundle().fingerprint();
        this.featureCount = model.card().features().size();
        this.windowCapacity = model.card().keepsWindow() ? model.card().window() : 0;
    }

    /**
     * Whether an event goes to {@link #correct} rather than to {@link Admission}: it is not after its key's last
     * accepted event ({@link Long#MIN_VALUE} for a key with none).
     */
    public static boolean isBehind(long eventTimeMs, long lastAcceptedMs) {
        return lastAcceptedMs != Long.MIN_VALUE && eventTimeMs <= lastAcceptedMs;
    }

    /**
     * The key's history after an in-order step: the event held, a snapshot of the state before it kept when
     * due, and the events no late event can precede any more let go.
     *
     * @param history the key's stored history, or null
     * @param request the step's request: its state is the key's state before the event
     */
    public KeyHistory record(KeyHistory history, Forecaster.Request request, Forecaster.Outcome outcome) {
        Held held = new Held(request.eventTimeMs(), request.features(),
                outcome.forecast() == null ? KeyHistory.NO_FORECAST : 0, null);
        KeyState prior = request.state();
        long priorTime = prior == null ? Long.MIN_VALUE : prior.lastEventTimeMs();
        if (history == null || history.modelFingerprint() != fingerprint || history.latestTimeMs() != priorTime) {
            return trim(start(request, outcome, held));
        }
        List<Held> events = new ArrayList<>(history.events());
        if (!events.isEmpty() && isSnapshotDue(history, request.eventTimeMs())) {
            int last = events.size() - 1;
            events.set(last, events.get(last).withSnapshot(prior));
        }
        events.add(held);
        return trim(history.withEvents(events));
    }

    /**
     * Whether the state after the last held event is kept: when {@link Bound#snapshotEvery()} events came since
     * the last snapshot, or half the allowed lateness. The oldest events are let go a snapshot at a time, so a
     * history spans at most about 1.5 x the allowed lateness.
     */
    private boolean isSnapshotDue(KeyHistory history, long nextEventTimeMs) {
        int lastSnapshot = history.lastSnapshotBefore(history.events().size());
        KeyState snapshot = history.stateAfter(lastSnapshot);
        // A history that starts with its key replays from a zero state, as good as a snapshot at its first event.
        long snapshotTimeMs = snapshot != null ? snapshot.lastEventTimeMs() : history.events().get(0).eventTimeMs();
        return history.events().size() - 1 - lastSnapshot >= bound.snapshotEvery()
                || snapshotTimeMs < nextEventTimeMs - bound.allowedMs() / 2;
    }

    /** A history for a key that has none this model can replay: from before this event where it can. */
    private KeyHistory start(Forecaster.Request request, Forecaster.Outcome outcome, Held held) {
        KeyState prior = request.state();
        if (prior == null) {
            return new KeyHistory(fingerprint, featureCount, null, null, List.of(held));
        }
        boolean sameModel = prior.modelFingerprint() == fingerprint
                && request.preparation() != StatePreparation.REBUILD_FOR_MODEL;
        if (sameModel && (windowCapacity == 0 || request.window() != null)) {
            return new KeyHistory(fingerprint, featureCount, prior, windowCapacity == 0 ? null : request.window(),
                    List.of(held));
        }
        // Events before this one were stepped by another model: a replay could not repeat them.
        return new KeyHistory(fingerprint, featureCount, outcome.state(), outcome.window(), List.of());
    }

    /**
     * Corrects the key's state and forecasts with a late event, or drops it as a redelivery.
     *
     * @param stored  the key's stored state (its latest event is at or after the event's time)
     * @param window  the key's stored window, or null
     * @param history the key's stored history, or null
     * @throws InvalidEventException as {@link Reason#LATE} when the event cannot be corrected
     */
    public Correction correct(String key, long eventTimeMs, float[] features, KeyState stored, FeatureWindow window,
                              KeyHistory history) {
        if (history == null || stored == null || history.modelFingerprint() != fingerprint
                || history.latestTimeMs() != stored.lastEventTimeMs()) {
            // Admission drops a redelivery of the last event and refuses anything else not after it.
            if (!admission.admit(key, eventTimeMs, features, Admission.LastAccepted.stepped(stored), () -> window)
                    .redelivery()) {
                throw new IllegalStateException("event of key '" + key + "' at " + Instant.ofEpochMilli(eventTimeMs)
                        + " is not behind the key's stored state; it is for Admission, not for a correction");
            }
            return Correction.REDELIVERY;
        }
        long digest = KeyState.digest(eventTimeMs, features);
        for (Held held : history.events()) {
            if (held.eventTimeMs() == eventTimeMs) {
                if (held.digest() == digest) {
                    return Correction.REDELIVERY;
                }
                throw late(key, eventTimeMs, "has the time of a held event of the key with other values");
            }
        }
        if (history.baseState() != null && eventTimeMs == history.baseTimeMs()
                && history.baseState().lastEventDigest() == digest) {
            return Correction.REDELIVERY;
        }
        long behind = history.latestTimeMs() - eventTimeMs;
        if (behind > bound.allowedMs()) {
            throw late(key, eventTimeMs, "is " + behind + " ms behind the key's latest event "
                    + Instant.ofEpochMilli(history.latestTimeMs()) + ", beyond the allowed lateness of "
                    + bound.allowedMs() + " ms (carrycast.lateness.allowed.ms)");
        }
        if (eventTimeMs <= history.baseTimeMs()) {
            throw late(key, eventTimeMs, "is not after " + Instant.ofEpochMilli(history.baseTimeMs())
                    + ", before the oldest event the key's history holds (carrycast.lateness.history.max.events = "
                    + bound.maxEvents() + ")");
        }
        return replay(key, history, history.positionAfter(eventTimeMs),
                new Held(eventTimeMs, features, KeyHistory.NO_FORECAST, null));
    }

    private static InvalidEventException late(String key, long eventTimeMs, String why) {
        return new InvalidEventException(Reason.LATE, "event time " + Instant.ofEpochMilli(eventTimeMs) + " of key '"
                + key + "' " + why);
    }

    /** Rewinds to the last snapshot before {@code position}, steps the events from there with the late one. */
    private Correction replay(String key, KeyHistory history, int position, Held late) {
        int from = history.lastSnapshotBefore(position);
        KeyState state = history.stateAfter(from);
        FeatureWindow window = history.windowBefore(from + 1, windowCapacity);
        List<Held> held = history.events();
        List<Held> sequence = new ArrayList<>(held.subList(from + 1, held.size()));
        sequence.add(position - from - 1, late);

        List<Held> replayed = new ArrayList<>(held.subList(0, from + 1));
        List<Forecast> corrected = new ArrayList<>();
        for (int i = 0; i < sequence.size(); i++) {
            Held event = sequence.get(i);
            KeyState prior = state;
            FeatureWindow before = window;
            Admission.Decision decision = admission.admit(key, event.eventTimeMs(), event.features(),
                    Admission.LastAccepted.stepped(prior), () -> before);
            Forecaster.Outcome outcome = model.process(List.of(new Forecaster.Request(key, event.eventTimeMs(),
                    event.features(), prior, before, decision.preparation()))).get(0);
            state = outcome.state();
            window = outcome.window();
            int revision = event.revision();
            // Events before the late one replay to the same state and keep their forecasts.
            if (from + 1 + i >= position && outcome.forecast() != null) {
                revision = event.revision() + 1;
                corrected.add(outcome.forecast().withRevision(revision));
            }
            replayed.add(new Held(event.eventTimeMs(), event.features(), revision,
                    event.snapshot() == null ? null : state));
        }
        return new Correction(false, sequence.size(), corrected, state, window, trim(history.withEvents(replayed)));
    }

    /**
     * Lets go of the oldest held events, up to a snapshot: those before the allowed lateness (no late event
     * can precede them any more), then as many as the history holds beyond its maximum.
     */
    private KeyHistory trim(KeyHistory history) {
        List<Held> events = history.events();
        long horizon = history.latestTimeMs() - bound.allowedMs();
        int drop = -1;
        for (int i = 0; i < events.size() && events.get(i).eventTimeMs() < horizon; i++) {
            if (events.get(i).snapshot() != null) {
                drop = i;
            }
        }
        for (int i = drop + 1; events.size() - 1 - drop > bound.maxEvents() && i < events.size(); i++) {
            if (events.get(i).snapshot() != null) {
                drop = i;
            }
        }
        return drop < 0 ? history : history.dropThrough(drop, windowCapacity);
    }
}
