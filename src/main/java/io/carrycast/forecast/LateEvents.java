package io.carrycast.forecast;

import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyHistory;
import io.carrycast.state.KeyHistory.Held;
import io.carrycast.state.KeyState;
import io.carrycast.state.PendingEvent;
import io.carrycast.state.StatePreparation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
 * <p>With a resampling card the held events are the key's steps (buckets and fills, at their starts), and a
 * late event reaches this class as a {@link Resampler.Revision}: the steps after the last bucket it leaves as it
 * was are replaced by the recomputed ones and replayed ({@link #revise}). A history then keeps every step back
 * to the last bucket with events before the earliest bucket a late event can reach.
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
     * @param buckets    with a resampling card, the step each corrected forecast was made at (its actuals are
     *                   the bucket's aggregates), in the order of {@code forecasts}; empty otherwise
     */
    public record Correction(boolean redelivery, int replayed, List<Forecast> forecasts, KeyState state,
                             FeatureWindow window, KeyHistory history, List<Resampler.Step> buckets) {
        static final Correction REDELIVERY = new Correction(true, 0, List.of(), null, null, null, List.of());

        /** The corrected forecast of the key's latest event, or null when it has none. */
        public Forecast latest() {
            if (forecasts.isEmpty()) {
                return null;
            }
            Forecast last = forecasts.get(forecasts.size() - 1);
            return last.eventTimeMs() == state.lastEventTimeMs() ? last : null;
        }
    }

    /** The replay's step, with the same admission rules as in-order events. */
    private final KeyStep keyStep;
    private final Bound bound;
    private final long fingerprint;
    private final int featureCount;
    private final int windowCapacity;
    /** The card's buckets when it resamples, else null. */
    private final Resampler resampler;

    /**
     * The corrections of {@code model}'s late events, or null when none are made (no lateness is allowed).
     *
     * @param resampler the card's {@link Resampler} when it resamples, else null
     */
    public static LateEvents forModel(Forecaster model, Admission admission, Bound bound, Resampler resampler) {
        return bound.enabled() ? new LateEvents(model, admission, bound, resampler) : null;
    }

    public LateEvents(Forecaster model, Admission admission, Bound bound) {
        this(model, admission, bound, null);
    }

    private LateEvents(Forecaster model, Admission admission, Bound bound, Resampler resampler) {
        this.keyStep = new KeyStep(model, admission, resampler);
        this.bound = bound;
        this.resampler = resampler;
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
        return record(history, request, outcome, outcome.forecast() != null);
    }

    /**
     * As {@link #record(KeyHistory, Forecaster.Request, Forecaster.Outcome)}, for a step whose forecast is
     * published or not ({@code published} is false for a resampling card's fill of an empty bucket).
     */
    public KeyHistory record(KeyHistory history, Forecaster.Request request, Forecaster.Outcome outcome,
                             boolean published) {
        Held held = new Held(request.eventTimeMs(), request.features(), published ? 0 : KeyHistory.NO_FORECAST,
                null);
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
            if (!keyStep.admit(key, eventTimeMs, features, null, stored, () -> window).redelivery()) {
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
        int position = history.positionAfter(eventTimeMs);
        List<Held> replacing = new ArrayList<>(history.events().subList(position, history.events().size()));
        replacing.add(0, new Held(eventTimeMs, features, KeyHistory.NO_FORECAST, null));
        return replay(key, history, position, replacing, null);
    }

    private static InvalidEventException late(String key, long eventTimeMs, String why) {
        return new InvalidEventException(Reason.LATE, "event time " + Instant.ofEpochMilli(eventTimeMs) + " of key '"
                + key + "' " + why);
    }

    /**
     * Replays a resampling card's key with a revised bucket: its held steps after {@code revision.afterStartMs()}
     * are replaced by the revision's steps and stepped again from the state before them. Forecasts are published
     * for the replaced steps with events, each one revision up from the forecast made at its bucket before (0 for
     * a bucket that had none: it was empty then).
     *
     * @param stored  the key's stored state (its last event is the key's last stepped bucket), or null
     * @param window  the key's stored window, or null
     * @param history the key's stored history, or null
     * @throws InvalidEventException as {@link Reason#LATE} when the history does not reach back far enough
     */
    public Correction revise(String key, long eventTimeMs, KeyState stored, FeatureWindow window, KeyHistory history,
                             Resampler.Revision revision) {
        long after = revision.afterStartMs();
        if (stored == null && history == null && after == Long.MIN_VALUE) {
            // The key's first stepped bucket: nothing to rewind.
            history = new KeyHistory(fingerprint, featureCount, null, null, List.of());
        }
        boolean usable = history != null && history.modelFingerprint() == fingerprint
                && history.latestTimeMs() == (stored == null ? Long.MIN_VALUE : stored.lastEventTimeMs())
                && (after == Long.MIN_VALUE ? history.baseState() == null : history.baseTimeMs() <= after)
                // the replacing steps reach the key's last step (a bucket that was empty may follow it)
                && revision.steps().get(revision.steps().size() - 1).startMs() >= history.latestTimeMs();
        if (!usable) {
            throw late(key, eventTimeMs, "falls into a bucket already stepped, and the key's history does not reach "
                    + "back to the step before it" + (after == Long.MIN_VALUE ? "" : " (at " + Instant.ofEpochMilli(
                    after) + ")") + " to replay from (carrycast.lateness.history.max.events = " + bound.maxEvents()
                    + ")");
        }
        List<Held> held = history.events();
        int position = history.positionAfter(after);
        Map<Long, Held> before = new HashMap<>();
        for (Held event : held.subList(position, held.size())) {
            before.put(event.eventTimeMs(), event);
        }
        List<Held> replacing = new ArrayList<>(revision.steps().size());
        for (Resampler.Step step : revision.steps()) {
            Held previous = before.get(step.startMs());
            int revisionBefore = previous == null || step.isFill() ? KeyHistory.NO_FORECAST : previous.revision();
            replacing.add(new Held(step.startMs(), step.features(), revisionBefore,
                    previous == null ? null : previous.snapshot()));
        }
        return replay(key, history, position, replacing, revision.steps());
    }

    /**
     * Rewinds to the last snapshot before {@code position} and steps the held events from there, with the held
     * events from {@code position} on replaced by {@code replacing}; those are published one revision up.
     *
     * @param steps with a resampling card, the steps {@code replacing} holds (fills publish no forecast); else null
     */
    private Correction replay(String key, KeyHistory history, int position, List<Held> replacing,
                              List<Resampler.Step> steps) {
        int from = history.lastSnapshotBefore(position);
        KeyState state = history.stateAfter(from);
        FeatureWindow window = history.windowBefore(from + 1, windowCapacity);
        List<Held> held = history.events();
        List<Held> sequence = new ArrayList<>(held.subList(from + 1, position));
        sequence.addAll(replacing);
        int unchanged = position - from - 1;

        List<Held> replayed = new ArrayList<>(held.subList(0, from + 1));
        List<Forecast> corrected = new ArrayList<>();
        List<Resampler.Step> buckets = new ArrayList<>();
        for (int i = 0; i < sequence.size(); i++) {
            Held event = sequence.get(i);
            Resampler.Step step = steps == null || i < unchanged ? null : steps.get(i - unchanged);
            KeyStep.Stepped stepped = keyStep.stepAlone(key, event.eventTimeMs(), event.features(), state, window,
                    step == null ? PendingEvent.NOT_A_BUCKET : step.events(), step == null ? 0 : step.filledBefore());
            state = stepped.outcome().state();
            window = stepped.outcome().window();
            int revision = event.revision();
            // Events before the replaced ones replay to the same state and keep their forecasts; fills publish none.
            if (i >= unchanged && stepped.published() != null) {
                revision = event.revision() + 1;
                corrected.add(stepped.published().withRevision(revision));
                if (step != null) {
                    buckets.add(step);
                }
            }
            replayed.add(new Held(event.eventTimeMs(), event.features(), revision,
                    event.snapshot() == null ? null : state));
        }
        return new Correction(false, sequence.size(), corrected, state, window, trim(history.withEvents(replayed)),
                buckets);
    }

    /**
     * Lets go of the oldest held events, up to a snapshot: those before the allowed lateness (no late event
     * can precede them any more), then as many as the history holds beyond its maximum.
     */
    private KeyHistory trim(KeyHistory history) {
        List<Held> events = history.events();
        long horizon = history.latestTimeMs() - bound.allowedMs();
        if (resampler != null && !events.isEmpty()) {
            // A late event can reach a bucket from this one on; a revision replays from the step of the last
            // bucket with events before it, so that step is kept (an empty bucket's fill publishes no forecast).
            long reachable = resampler.bucketStart(horizon);
            int stepBefore = -1;
            for (int i = 0; i < events.size() && events.get(i).eventTimeMs() < reachable; i++) {
                if (events.get(i).revision() != KeyHistory.NO_FORECAST) {
                    stepBefore = i;
                }
            }
            horizon = stepBefore < 0 ? Long.MIN_VALUE : events.get(stepBefore).eventTimeMs() + 1;
        }
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
