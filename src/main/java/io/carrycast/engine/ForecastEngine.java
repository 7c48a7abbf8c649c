package io.carrycast.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.ActualsReader;
import io.carrycast.accuracy.IntervalErrors;
import io.carrycast.accuracy.Intervals;
import io.carrycast.accuracy.Scorer;
import io.carrycast.accuracy.WaitingForecasts;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.forecast.KeyStep;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.Resampler;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyHistory;
import io.carrycast.state.KeyState;
import io.carrycast.state.OpenBucket;
import io.carrycast.state.PendingEvent;
import io.carrycast.state.StatePreparation;
import io.carrycast.state.StateRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forecasting per key, without Kafka: reads each event, admits it against its key's stored record
 * ({@link KeyStep#admit}), resamples it into its key's open bucket when the card resamples
 * ({@link Resampler}, {@link OpenBucketIndex}), steps admitted events (or buckets) of distinct keys with one model
 * call, corrects late events and revised buckets ({@link LateEvents}), and scores each step against the key's
 * waiting forecasts. It returns what to forward and store ({@link Stepped}, {@link Corrected}) and counts into
 * the metrics; the caller forwards, then stores, so a failure in between repeats forecasts rather than losing
 * them. Which events wait for a shared model call, and when they are stepped, is the caller's.
 *
 * <p>An event that cannot be used raises {@link InvalidEventException} before anything is stored, so the key's
 * records are untouched; an exact redelivery is dropped and counted.
 */
public final class ForecastEngine {

    private static final Logger LOG = LoggerFactory.getLogger(ForecastEngine.class);

    /**
     * What the engine needs beyond the model: how events are read, the gap rule, the allowed lateness and the
     * intervals attached to forecasts (computed only when forecasts are scored, from the scored errors).
     */
    public record Settings(EventReader reader, Admission.GapRule gapRule, LateEvents.Bound lateness,
                           Intervals intervals) {
        /** Settings without intervals. */
        public Settings(EventReader reader, Admission.GapRule gapRule, LateEvents.Bound lateness) {
            this(reader, gapRule, lateness, Intervals.NONE);
        }
    }

    /**
     * An event (or a resampled bucket) admitted for its step, with what its admission already read.
     *
     * @param stored  what the key had stored when the event was admitted, when nothing of the key was waiting
     *                then (its step reads nothing again); otherwise, or when not known, null
     * @param actuals its target values, when scoring and known; else null (nothing is scored at its step)
     * @param late    whether the event is behind its key's last accepted one: it is corrected
     *                ({@link #correct}), not stepped, once the events waiting before it are stepped
     */
    public record Admitted(PendingEvent event, StateRecord stored, Scorer.Actuals actuals, boolean late) {
        /** An event known by its stored form alone, as reloaded after a restart. */
        public static Admitted of(PendingEvent event) {
            return new Admitted(event, null, null, false);
        }
    }

    /**
     * An event added to its key's open bucket.
     *
     * @param before the key's resampling state before it, or null for a key never seen
     */
    public record BucketArrival(String key, long eventTimeMs, OpenBucket before, Resampler.Added added) {
    }

    /**
     * What one model call gave: the forecasts to forward, in order (each also the key's latest), then the keys'
     * records to store.
     */
    public record Stepped(List<Forecast> forecasts, List<String> keys, List<StateRecord> records) {
        private static final Stepped NONE = new Stepped(List.of(), List.of(), List.of());
    }

    /** A late event's correction, or a revised bucket's replay: forward its forecasts, then store the record. */
    public record Corrected(String key, LateEvents.Correction correction, StateRecord record) {
    }

    private final Settings settings;
    private final KeyRecords records;
    /** Null when the engine was built for a card that steps once per event. */
    private final OpenBucketIndex buckets;
    /** Null when forecasts are not scored. */
    private final Scorer.Sink scores;
    private final CarrycastMetrics metrics;
    /** Null when the deployment has no routes: every stored state is this engine's model's or a swap's. */
    private final RouteStates.Origin origin;
    private final CarrycastMetrics.ModelCalls modelCalls;

    private Forecaster model;
    private FeatureExtractor extractor;
    /** The fields an event is read for: the served model's features, the timestamp field and, when scoring, the targets. */
    private EventReader.Fields eventFields;
    private KeyStep keyStep;
    /** Null when late events are refused (no allowed lateness). */
    private LateEvents lateEvents;
    /** Null when the served card steps once per event. */
    private Resampler resampler;
    /** When a waiting forecast's steps are due: the served card's buckets, or its cadence. */
    private Scorer.TargetTimes targetTimes = Scorer.TargetTimes.EVERY_CADENCE;
    /** The target fields' slots in {@link #eventFields}, read as actuals when scoring. */
    private int[] targetSlots;
    private ActualsReader actualsReader;

    /**
     * @param buckets the open buckets, or null when no card this engine serves resamples
     * @param scores  where scores go, or null when forecasts are not scored
     */
    public ForecastEngine(Settings settings, KeyRecords records, OpenBucketIndex buckets, Scorer.Sink scores,
                          CarrycastMetrics metrics, Forecaster model) {
        this(settings, records, buckets, scores, metrics, model, null);
    }

    /**
     * An engine serving one route of several over the same key records.
     *
     * @param origin which route wrote a key's stored state; null for a deployment without routes
     */
    public ForecastEngine(Settings settings, KeyRecords records, OpenBucketIndex buckets, Scorer.Sink scores,
                          CarrycastMetrics metrics, Forecaster model, RouteStates.Origin origin) {
        this.settings = settings;
        this.records = records;
        this.buckets = buckets;
        this.scores = scores;
        this.metrics = metrics;
        this.origin = origin;
        this.modelCalls = metrics.modelCalls(origin == null ? null : origin.name());
        serve(model);
    }

    public Forecaster model() {
        return model;
    }

    /** Whether the served card steps cadence buckets rather than events. */
    public boolean resamples() {
        return resampler != null;
    }

    /** The served card's resampling rules, or null when it steps once per event. */
    public Resampler resampler() {
        return resampler;
    }

    /** Whether this engine can serve {@code next}: a card that resamples needs the open buckets. */
    public boolean canServe(Forecaster next) {
        return buckets != null || !next.card().resamples();
    }

    /** Serves {@code next} from now on; the events admitted for the model before must be stepped first. */
    public void serve(Forecaster next) {
        model = next;
        if (origin != null) {
            origin.serving(next);
        }
        extractor = new FeatureExtractor(next.card());
        List<String> fields = new ArrayList<>(extractor.fieldNames());
        if (scores != null) {
            actualsReader = ActualsReader.forCard(next.card());
            List<String> targets = actualsReader.targets();
            targetSlots = new int[targets.size()];
            for (int t = 0; t < targetSlots.length; t++) {
                if (!fields.contains(targets.get(t))) {
                    fields.add(targets.get(t));
                }
                targetSlots[t] = fields.indexOf(targets.get(t));
            }
        }
        eventFields = settings.reader().fields(fields, null);
        Admission admission = Admission.forModel(next, settings.gapRule());
        resampler = Resampler.forCard(next.card(), extractor, settings.lateness());
        keyStep = new KeyStep(next, admission, resampler);
        lateEvents = LateEvents.forModel(next, admission, settings.lateness(), resampler);
        Resampler bucketRules = resampler;
        targetTimes = bucketRules == null ? Scorer.TargetTimes.EVERY_CADENCE
                : (madeAtMs, cadenceMs, step) -> bucketRules.bucketStartAfter(madeAtMs, step);
    }

    /**
     * Reads the event, turns it into features and admits it against its key's last accepted event; nothing is
     * stored yet.
     *
     * @param key      the record key, the series id
     * @param waiting  the key's last event waiting for its step, or null when none waits
     * @param sequence the sequence the admitted event is to carry
     * @return the event to step, a late event to correct, or null for an exact redelivery (counted)
     */
    public Admitted accept(String key, byte[] value, long recordTimestamp, PendingEvent waiting, long sequence) {
        requireKey(key);
        EventReader.Values event = settings.reader().read(value, eventFields);
        long eventTime = settings.reader().eventTime(event, recordTimestamp);
        float[] features = extractor.extract(event, eventTime);
        return admit(key, eventTime, features, waiting, sequence,
                scores == null ? null : actualsReader.read(event, targetSlots));
    }

    /**
     * As {@link #accept(String, byte[], long, PendingEvent, long)}, for an event already parsed (a file's row),
     * with nothing of its key waiting.
     */
    public Admitted accept(String key, ObjectNode event, long recordTimestamp) {
        requireKey(key);
        long eventTime = settings.reader().eventTime(event, recordTimestamp);
        float[] features = extractor.extract(event, eventTime);
        return admit(key, eventTime, features, null, 0, scores == null ? null : actualsReader.read(event));
    }

    private Admitted admit(String key, long eventTime, float[] features, PendingEvent waiting, long sequence,
                           Scorer.Actuals actuals) {
        StateRecord stored = waiting == null ? stored(key) : null;
        KeyState state = stored == null ? null : stored.state();
        long previousTime = previousTime(waiting, state);
        if (lateEvents != null && LateEvents.isBehind(eventTime, previousTime)) {
            return new Admitted(new PendingEvent(sequence, key, eventTime, features, StatePreparation.CONTINUE,
                    previousTime), null, null, true);
        }
        Admission.Decision decision = decide(key, eventTime, features, waiting, state);
        if (decision.redelivery()) {
            metrics.duplicate();
            return null;
        }
        return new Admitted(new PendingEvent(sequence, key, eventTime, features, decision.preparation(),
                previousTime), state != null ? stored : null, actuals, false);
    }

    /**
     * Inserts a late event into its key's history and replays the key. The events waiting before it must be
     * stepped first, so that the key's stored state and history hold every event accepted before this one.
     *
     * @return the correction, or null for an exact redelivery (counted)
     */
    public Corrected correct(Admitted late) {
        PendingEvent event = late.event();
        StateRecord stored = stored(event.key());
        LateEvents.Correction correction = lateEvents.correct(event.key(), event.eventTimeMs(), event.features(),
                stored.state(), stored.window(), stored.history());
        if (correction.redelivery()) {
            metrics.duplicate();
            return null;
        }
        return corrected(event.key(), stored, correction);
    }

    /**
     * Reads the event and adds it to its key's open bucket; the key's new resampling state is stored by
     * {@link #keepBucket} once what the event closed or revised is stepped.
     *
     * @return the arrival, or null for an exact redelivery (counted)
     */
    public BucketArrival addToBucket(String key, byte[] value, long recordTimestamp) {
        requireKey(key);
        EventReader.Values event = settings.reader().read(value, eventFields);
        long eventTime = settings.reader().eventTime(event, recordTimestamp);
        return addToBucket(key, eventTime, extractor.fieldValues(event));
    }

    /** As {@link #addToBucket(String, byte[], long)}, for an event already parsed (a file's row). */
    public BucketArrival addToBucket(String key, ObjectNode event, long recordTimestamp) {
        requireKey(key);
        long eventTime = settings.reader().eventTime(event, recordTimestamp);
        return addToBucket(key, eventTime, extractor.fieldValues(event));
    }

    private BucketArrival addToBucket(String key, long eventTime, double[] values) {
        OpenBucket stored = buckets.get(key);
        Resampler.Added added = resampler.add(key, stored, eventTime, values);
        if (added.redelivery()) {
            metrics.duplicate();
            return null;
        }
        return new BucketArrival(key, eventTime, stored, added);
    }

    /**
     * Replays a key whose stepped bucket a late event revised. The buckets waiting before it must be stepped
     * first, so that the key's stored state and history hold every step before it.
     */
    public Corrected revise(BucketArrival arrival) {
        StateRecord stored = stored(arrival.key());
        return corrected(arrival.key(), stored, lateEvents.revise(arrival.key(), arrival.eventTimeMs(),
                stored.state(), stored.window(), stored.history(), arrival.added().revision()));
    }

    /** Stores the key's resampling state after the event. */
    public void keepBucket(BucketArrival arrival) {
        buckets.put(arrival.key(), arrival.before(), arrival.added().bucket());
    }

    /** Closes the open buckets that ended at or before {@code endedBy}: per key, its steps (fills first). */
    public Map<String, List<Resampler.Step>> closeEndedBy(long endedBy) {
        return buckets.closeEndedBy(endedBy, resampler);
    }

    /**
     * Admits one step of a key's closed bucket (fills first) against its key's last accepted one.
     *
     * @param waiting  the key's last event waiting for its step, or null when none waits
     * @param sequence the sequence the admitted step is to carry
     * @return the step to take, or null for an exact redelivery (counted)
     */
    public Admitted admitBucket(String key, Resampler.Step bucket, PendingEvent waiting, long sequence) {
        KeyState state = waiting == null ? storedState(key) : null;
        Admission.Decision decision = decide(key, bucket.startMs(), bucket.features(), waiting, state);
        if (decision.redelivery()) {
            metrics.duplicate();
            return null;
        }
        return new Admitted(new PendingEvent(sequence, key, bucket.startMs(), bucket.features(),
                decision.preparation(), bucket.events(), bucket.filledBefore(), previousTime(waiting, state)), null,
                bucketActuals(bucket), false);
    }

    /**
     * Admits round {@code round} of closed buckets' steps: each key's step of that round, so the keys are
     * distinct. Each key's earlier rounds must be stored first.
     *
     * @param skipRefused whether a step the admission rules refuse is logged and skipped (in a punctuation,
     *                    which has no event to dead-letter) rather than thrown for its event
     */
    public List<Admitted> admitRound(Map<String, List<Resampler.Step>> stepsByKey, int round, boolean skipRefused) {
        List<Admitted> admitted = new ArrayList<>();
        for (Map.Entry<String, List<Resampler.Step>> keySteps : stepsByKey.entrySet()) {
            if (round >= keySteps.getValue().size()) {
                continue;
            }
            Resampler.Step bucket = keySteps.getValue().get(round);
            try {
                Admitted step = admitBucket(keySteps.getKey(), bucket, null, 0);
                if (step != null) {
                    admitted.add(step);
                }
            } catch (InvalidEventException refused) {
                if (!skipRefused) {
                    throw refused;
                }
                LOG.warn("Bucket of key '{}' starting {} not stepped: {}: {}", keySteps.getKey(),
                        Instant.ofEpochMilli(bucket.startMs()), refused.reason().label(), refused.getMessage());
            }
        }
        return admitted;
    }

    /**
     * A bucket's aggregates of the target fields are the actuals its step scores against (NaN for a target the
     * card does not aggregate); a filled empty bucket has none, so the steps due at it are skipped.
     */
    private Scorer.Actuals bucketActuals(Resampler.Step bucket) {
        return scores == null || bucket.isFill() ? null : actualsReader.read(resampler, bucket);
    }

    /**
     * The admission rules' decision; for a key whose stored state another route's model wrote, its start on this
     * route ({@link RouteStates.Origin#arriving}) once the event is known to follow the key's last one.
     */
    private Admission.Decision decide(String key, long eventTime, float[] features, PendingEvent waiting,
                                      KeyState state) {
        StatePreparation arriving = origin == null || state == null ? null : origin.arriving(state, model);
        if (arriving == null) {
            return keyStep.admit(key, eventTime, features, waiting, state, () -> storedWindow(key));
        }
        if (eventTime <= state.lastEventTimeMs()) {
            if (eventTime == state.lastEventTimeMs() && KeyState.digest(eventTime, features) == state.lastEventDigest()) {
                return Admission.Decision.REDELIVERY;
            }
            throw new InvalidEventException(Reason.LATE, "event time " + Instant.ofEpochMilli(eventTime) + " of key '"
                    + key + "' is not after its last accepted event " + Instant.ofEpochMilli(state.lastEventTimeMs()));
        }
        return Admission.Decision.step(arriving);
    }

    /** An event's record key is its series id. */
    static void requireKey(String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidEventException(Reason.NO_KEY, "event has " + (key == null ? "no" : "an empty")
                    + " record key; the record key is the series id");
        }
    }

    /** The time of the key's last accepted event: its last waiting one, else the one its state last stepped. */
    private static long previousTime(PendingEvent waiting, KeyState state) {
        return waiting != null ? waiting.eventTimeMs() : state != null ? state.lastEventTimeMs() : Long.MIN_VALUE;
    }

    /**
     * A correction's forecasts carry intervals from the key's errors as they stand: a late event neither scores
     * nor is scored (see docs/live-accuracy.md), so its errors are unchanged.
     */
    private Corrected corrected(String key, StateRecord stored, LateEvents.Correction correction) {
        metrics.correction(correction.replayed());
        LateEvents.Correction bounded = correction;
        if (intervalsOn() && !correction.forecasts().isEmpty()) {
            IntervalErrors errors = IntervalErrors.of(stored.errors());
            List<Forecast> forecasts = new ArrayList<>(correction.forecasts().size());
            for (Forecast forecast : correction.forecasts()) {
                forecasts.add(withIntervals(forecast, halfWidths(errors, forecast)));
            }
            bounded = new LateEvents.Correction(false, correction.replayed(), forecasts, correction.state(),
                    correction.window(), correction.history(), correction.buckets());
        }
        return new Corrected(key, bounded, new StateRecord(correction.state(), correction.window(),
                correction.history(), stored.waiting(), stored.errors()));
    }

    /**
     * Steps admitted events of distinct keys with one model call, each from its key's stored record, and
     * scores each against its key's waiting forecasts.
     */
    public Stepped step(List<Admitted> candidates) {
        List<Admitted> events = new ArrayList<>(candidates.size());
        List<Forecaster.Request> requests = new ArrayList<>(candidates.size());
        List<StateRecord> before = new ArrayList<>(candidates.size());
        for (Admitted admitted : candidates) {
            PendingEvent event = admitted.event();
            StateRecord stored = admitted.stored() != null ? admitted.stored() : stored(event.key());
            KeyState state = stored.state();
            if (state != null && state.lastEventTimeMs() >= event.eventTimeMs()) {
                // Already stepped: the pending store and the state disagree (they should not). Stepping it
                // again would corrupt the key's state, so it is dropped like a redelivery.
                LOG.warn("Pending event of key '{}' at {} was already stepped (state at {}); dropped", event.key(),
                        Instant.ofEpochMilli(event.eventTimeMs()), Instant.ofEpochMilli(state.lastEventTimeMs()));
                metrics.duplicate();
                continue;
            }
            events.add(admitted);
            boolean reset = event.preparation() == StatePreparation.RESET_FOR_ROUTE;
            if (reset) {
                // Nothing the former route's model left is this model's: its history and window are not carried over.
                stored = new StateRecord(null, null, null, stored.waiting());
                state = null;
            }
            before.add(stored);
            boolean needsWindow = model.card().keepsWindow() || event.preparation() != StatePreparation.CONTINUE;
            FeatureWindow window = !needsWindow || reset ? null
                    : model.card().keepsWindow() ? stored.window() : storedWindow(event.key());
            requests.add(new Forecaster.Request(event.key(), event.eventTimeMs(), event.features(), state, window,
                    event.preparation()));
        }
        if (events.isEmpty()) {
            return Stepped.NONE;
        }
        long started = System.nanoTime();
        List<Forecaster.Outcome> outcomes = keyStep.process(requests);
        modelCalls.record(events.size(), System.nanoTime() - started);
        return stepped(events, requests, outcomes, before);
    }

    /**
     * The stepped events' forecasts and records: state, with the window when the card keeps one, the history
     * when late events are allowed and the waiting forecasts when scoring.
     *
     * @param before what each event's key had stored before it
     */
    private Stepped stepped(List<Admitted> events, List<Forecaster.Request> requests,
                            List<Forecaster.Outcome> outcomes, List<StateRecord> before) {
        List<Forecast> forecasts = new ArrayList<>(events.size());
        List<String> keys = new ArrayList<>(events.size());
        List<StateRecord> stored = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            PendingEvent event = events.get(i).event();
            Forecaster.Outcome outcome = outcomes.get(i);
            if (event.preparation() != StatePreparation.CONTINUE) {
                metrics.stateRebuilt(event.preparation());
            }
            Forecast forecast = keyStep.published(outcome.forecast(), event.bucketEvents(), event.filledBefore());
            KeyHistory history = lateEvents == null ? null
                    : lateEvents.record(before.get(i).history(), requests.get(i), outcome, forecast != null);
            Scored scored = scores == null ? Scored.NONE : score(event.key(), before.get(i),
                    event.eventTimeMs(), events.get(i).actuals(), outcome.forecast());
            if (forecast != null) {
                forecasts.add(scored.halfWidths() == null ? forecast : withIntervals(forecast, scored.halfWidths()));
            }
            keys.add(event.key());
            stored.add(new StateRecord(outcome.state(), outcome.window(), history, scored.waiting(),
                    scored.errors()));
        }
        return new Stepped(forecasts, keys, stored);
    }

    /**
     * What scoring one step leaves: the key's waiting forecasts and interval errors (their encodings, null for
     * none) and the half-widths of the new forecast's intervals (null when intervals are off).
     */
    private record Scored(byte[] waiting, byte[] errors, float[] halfWidths) {
        static final Scored NONE = new Scored(null, null, null);
    }

    /**
     * After one event of {@code key} was stepped: scores what waited for its time, keeps each scored error for
     * the key's intervals, and keeps its forecast with the intervals it is published with.
     *
     * @param before   what the key had stored before this event
     * @param actuals  the event's target values, or null when they are not known (an event accepted before a
     *                 restart and stepped after it): then nothing is scored or kept for this event
     * @param forecast the event's forecast, or null when none was made
     */
    private Scored score(String key, StateRecord before, long eventTimeMs, Scorer.Actuals actuals,
                         Forecast forecast) {
        byte[] waiting = before.waiting();
        IntervalErrors errors = intervalsOn() ? IntervalErrors.of(before.errors()) : null;
        if (actuals == null) {
            return new Scored(waiting, before.errors(), halfWidths(errors, forecast));
        }
        WaitingForecasts was = waiting == null ? WaitingForecasts.NONE : WaitingForecasts.decode(waiting);
        WaitingForecasts after = Scorer.score(key, was, eventTimeMs, actuals, errors == null ? scores
                : keepingErrors(errors), targetTimes);
        float[] halfWidths = halfWidths(errors, forecast);
        if (forecast != null) {
            after = after.plus(waiting(forecast, actuals, halfWidths));
        }
        byte[] waitingAfter = after == was ? waiting : after.isEmpty() ? null : after.encode();
        byte[] errorsAfter = errors == null || !errors.changed() ? before.errors() : errors.encode();
        return new Scored(waitingAfter, errorsAfter, halfWidths);
    }

    /**
     * The forecast as it waits for its actuals, with the intervals it is published with: a quantile model's own,
     * or those from live errors ({@code halfWidths}, null when off).
     */
    private WaitingForecasts.Waiting waiting(Forecast forecast, Scorer.Actuals actuals, float[] halfWidths) {
        long cadenceMs = model.card().cadence().toMillis();
        if (model.card().hasQuantiles()) {
            return Scorer.waitingWithBounds(forecast, cadenceMs, actualsReader.targets(), actuals);
        }
        return Scorer.waitingFor(forecast, cadenceMs, actualsReader.targets(), actuals,
                halfWidths == null ? new double[0] : settings.intervals().levels(),
                halfWidths == null ? new float[0] : halfWidths);
    }

    private boolean intervalsOn() {
        return scores != null && settings.intervals().enabled();
    }

    /** The scores sink that also keeps each scored absolute error in the key's interval errors. */
    private Scorer.Sink keepingErrors(IntervalErrors errors) {
        int window = settings.intervals().window();
        return new Scorer.Sink() {
            @Override
            public void scored(io.carrycast.accuracy.Score score) {
                errors.add(score.target(), score.step(), Math.abs(score.error()), window);
                scores.scored(score);
            }

            @Override
            public void skipped(String modelName, String modelVersion, String target, int step, Scorer.Skip why) {
                scores.skipped(modelName, modelVersion, target, step, why);
            }
        };
    }

    /**
     * The half-widths of the forecast's intervals from the key's errors ({@code steps * targets * levels}:
     * step, target, level; NaN where too few), or null when intervals are off or there is no forecast.
     */
    private float[] halfWidths(IntervalErrors errors, Forecast forecast) {
        if (errors == null || forecast == null) {
            return null;
        }
        Intervals intervals = settings.intervals();
        List<String> targets = actualsReader.targets();
        int levels = intervals.levels().length;
        float[] halfWidths = new float[forecast.points().size() * targets.size() * levels];
        for (Forecast.Point point : forecast.points()) {
            for (int t = 0; t < targets.size(); t++) {
                float[] widths = errors.halfWidths(targets.get(t), point.step(), intervals);
                System.arraycopy(widths, 0, halfWidths, ((point.step() - 1) * targets.size() + t) * levels, levels);
            }
        }
        return halfWidths;
    }

    /** The forecast with, per point and level, its bounds: value ± half-width, null where there is none. */
    private Forecast withIntervals(Forecast forecast, float[] halfWidths) {
        double[] levels = settings.intervals().levels();
        List<String> targets = actualsReader.targets();
        List<Forecast.Point> points = new ArrayList<>(forecast.points().size());
        for (Forecast.Point point : forecast.points()) {
            List<Forecast.Interval> intervals = new ArrayList<>(levels.length);
            for (int l = 0; l < levels.length; l++) {
                Map<String, Double> lower = new java.util.LinkedHashMap<>();
                Map<String, Double> upper = new java.util.LinkedHashMap<>();
                for (int t = 0; t < targets.size(); t++) {
                    Double value = point.values().get(targets.get(t));
                    float half = halfWidths[((point.step() - 1) * targets.size() + t) * levels.length + l];
                    boolean known = value != null && !Float.isNaN(half);
                    lower.put(targets.get(t), known ? value - half : null);
                    upper.put(targets.get(t), known ? value + half : null);
                }
                intervals.add(new Forecast.Interval(levels[l], lower, upper));
            }
            points.add(point.withIntervals(intervals));
        }
        return forecast.withPoints(points);
    }

    /** The time of the last event the key's stored state stepped; {@link Long#MIN_VALUE} for a key with none. */
    public long steppedUpTo(String key) {
        KeyState state = storedState(key);
        return state == null ? Long.MIN_VALUE : state.lastEventTimeMs();
    }

    private KeyState storedState(String key) {
        return records.get(key, false, false, false).state();
    }

    /**
     * What the key has stored that the served model uses at every event (its state, the window the card keeps,
     * the history when late events are allowed, the waiting forecasts when scoring), from one store read.
     */
    private StateRecord stored(String key) {
        return records.get(key, model.card().keepsWindow(), lateEvents != null, scores != null);
    }

    /** The key's stored window, kept by this model's card or by the one before a swap; null when none. */
    private FeatureWindow storedWindow(String key) {
        return records.get(key, true, false, false).window();
    }
}
