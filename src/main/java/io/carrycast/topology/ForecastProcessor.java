package io.carrycast.topology;

import io.carrycast.accuracy.ActualsReader;
import io.carrycast.accuracy.Scorer;
import io.carrycast.engine.OpenBucketIndex;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.forecast.KeyStep;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.LiveModel;
import io.carrycast.forecast.Resampler;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyHistory;
import io.carrycast.state.KeyState;
import io.carrycast.state.OpenBucket;
import io.carrycast.state.PendingEvent;
import io.carrycast.state.StatePreparation;
import io.carrycast.state.StateRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Forecasts per event, keeping each key's state, window and latest forecast in state stores. Forwards
 * each forecast as its JSON ({@link ForecastJson}), serialized once for the topic and the latest store.
 *
 * <p>Each event is read, turned into features and checked by {@link Admission} first. An event that cannot
 * be used raises {@link InvalidEventException} before anything is stored, so the key's state and window are
 * untouched and the processing exception handler routes it to the dead-letter topic; an exact redelivery is
 * dropped and counted.
 *
 * <p>With a maximum batch of 1 an admitted event is stepped at once. Otherwise it waits in the
 * {@link PendingRing} until the batch is full or the task has processed the last record the consumer
 * delivered ({@link DeliveredInput}): at full load a poll delivers hundreds of events per task and batches
 * fill; at a light load each batch holds what arrived since the last poll and is stepped without waiting. A
 * wall-clock punctuation at the maximum wait steps what is left when the end of the delivered input is not
 * seen. The waiting events are stepped together, one model call per round of distinct keys, so each key's
 * events are stepped in order and each step sees the state the previous one stored.
 *
 * <p>With an allowed lateness, an event not after its key's last accepted one goes to {@link LateEvents}
 * once the waiting events are stepped: it is inserted among the key's held events and the key is replayed,
 * all while processing that one record, so under exactly_once_v2 a correction commits with its input offset.
 *
 * <p>With scoring on, each stepped event first scores the key's forecasts waiting for its time, then its own
 * forecast joins them ({@link LiveScoring}); a stepped bucket does the same with its aggregates as actuals.
 * As the challenger (a {@link ChallengerGuard} in the settings), nothing the processor throws leaves it.
 *
 * <p>A card with a resample block steps cadence buckets instead of events ({@link Resampler}): each event goes
 * into its key's open bucket ({@link OpenBucketIndex}), and a bucket is stepped when the key's next event falls into
 * a later one (the closed bucket then waits in the micro-batch like an event), or, by a stream-time punctuation,
 * once the partition's stream time has passed its end by the grace; the buckets that punctuation closes are
 * stepped together, one model call per round of distinct keys. With an allowed lateness, a late event for a
 * bucket already stepped revises it ({@link Resampler.Revision}) and the key's buckets from the one before it
 * are replayed by {@link LateEvents#revise}, after the waiting buckets are stepped, while that one record is
 * processed.
 */
final class ForecastProcessor implements Processor<String, byte[], String, byte[]> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ForecastProcessor.class);

    /**
     * Settings the processor needs beyond the model.
     *
     * @param stores       the node's store names
     * @param scoring      where scores are tallied, or null when forecasts are not scored
     * @param forwardScores whether score records are forwarded (to the scores topic)
     * @param guard        null for the live model; for the challenger, what keeps its failures to itself
     * @param lightLoadCommitInterval how often a task at a light load requests a commit; zero: never
     * @param lightLoadRecords        most records a task may process in that interval and still be at a light load
     */
    record Settings(EventReader reader, int maxBatch, Duration maxWait, Admission.GapRule gapRule,
                    boolean keepLatest, LateEvents.Bound lateness, Duration resampleGrace, StoreNames stores,
                    Scorer.Sink scoring, boolean forwardScores, ChallengerGuard guard,
                    Duration lightLoadCommitInterval, int lightLoadRecords) {
    }

    /** How often, in stream time, the open-bucket index is checked for buckets the grace has passed. */
    private static final Duration BUCKET_CHECK_INTERVAL = Duration.ofSeconds(1);

    private final LiveModel live;
    private final Settings settings;
    private final CarrycastMetrics metrics;

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
    /** Null when the topology was built for a card that steps once per event. */
    private OpenBucketIndex openBuckets;
    /** A resampling model this instance cannot serve (no bucket stores), once its refusal is logged. */
    private Forecaster refusedSwap;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> stateStore;
    private KeyValueStore<String, byte[]> latestStore;
    /** Null when forecasts are not scored. */
    private LiveScoring scoring;
    /** The target fields' slots in {@link #eventFields}, read as actuals when scoring. */
    private int[] targetSlots;
    private ActualsReader actualsReader;
    /** The target values of admitted events not yet stepped, for scoring; an event reloaded after a restart has none. */
    private final Map<PendingEvent, Scorer.Actuals> actualsAtAccept = new IdentityHashMap<>();
    /** Null when each event is stepped as it arrives. */
    private PendingRing pending;
    /** Null where no consumer reports its polls (a test driver): batches then wait to fill or for the maximum wait. */
    private DeliveredInput deliveredInput;
    /** The task's input partition, as last seen, and what the consumer has delivered of it. */
    private String inputTopic;
    private int inputPartitionNumber;
    private DeliveredInput.Partition inputPartition;
    /**
     * What each key had stored when its first pending event was admitted, so the step does not read and
     * decode it again. Only a key's first pending event may use it: later ones follow its step.
     */
    private final Map<String, StateRecord> storedAtAccept = new HashMap<>();
    /**
     * The light-load commit interval in ms (0: no requests), the start of the current one (the task's wall
     * clock), and the records processed since.
     */
    private final long lightLoadCommitMs;
    private long commitIntervalStartMs;
    private int recordsInCommitInterval;

    ForecastProcessor(LiveModel live, Settings settings, CarrycastMetrics metrics) {
        this.live = live;
        this.settings = settings;
        this.metrics = metrics;
        this.lightLoadCommitMs = settings.lightLoadCommitInterval().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        if (lightLoadCommitMs > 0) {
            this.commitIntervalStartMs = context.currentSystemTimeMs();
        }
        if (live.current().card().resamples()) {
            openBuckets = new OpenBucketIndex(new BucketStores(context.getStateStore(settings.stores().bucket()),
                    context.getStateStore(settings.stores().bucketDue())));
            context.schedule(BUCKET_CHECK_INTERVAL, PunctuationType.STREAM_TIME,
                    streamTime -> guarded(() -> stepEndedBuckets(streamTime)));
        }
        serve(live.current());
        StoreNames stores = settings.stores();
        this.stateStore = context.getStateStore(stores.state());
        this.latestStore = settings.keepLatest() ? context.getStateStore(stores.latest()) : null;
        if (settings.scoring() != null) {
            this.scoring = new LiveScoring(settings.scoring(), settings.forwardScores() ? context : null);
        }
        if (settings.maxBatch() > 1) {
            this.pending = PendingRing.reload(context.getStateStore(stores.pending()), settings.maxBatch());
            List<PendingEvent> letGo = pending.letGoOfEventsAheadOfState(key -> {
                KeyState state = storedState(key);
                return state == null ? Long.MIN_VALUE : state.lastEventTimeMs();
            });
            if (!letGo.isEmpty()) {
                LOG.warn("{} reloaded micro-batch event(s) do not follow on from their key's stored state (the "
                        + "stores were restored to different points after an unclean stop, or already stepped): "
                        + "let go, to be read again from the input; the first is key '{}' at {}", letGo.size(),
                        letGo.get(0).key(), Instant.ofEpochMilli(letGo.get(0).eventTimeMs()));
            }
            this.deliveredInput = DeliveredInput.from(context.appConfigs());
            // A bound for when the end of the delivered input is not seen, e.g. when the last delivered record
            // is dropped by Kafka Streams before it reaches this processor.
            context.schedule(settings.maxWait(), PunctuationType.WALL_CLOCK_TIME, now -> guarded(() -> {
                followModelSwap();
                flush();
            }));
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        try {
            if (settings.guard() == null) {
                handle(record);
            } else {
                settings.guard().contain(() -> handle(record));
            }
        } finally {
            requestCommitAtLightLoad();
        }
    }

    /**
     * Asks Kafka Streams to commit once per light-load interval when the task processed few records in it. A
     * commit writes every state the record cache holds dirty while the stream thread waits: at a light load,
     * a commit every 30 s (at-least-once's default) writes tens of thousands at once, and every event arriving
     * meanwhile waits. At a higher load commits stay at {@code commit.interval.ms}, where they deduplicate
     * a key's many writes.
     */
    private void requestCommitAtLightLoad() {
        if (lightLoadCommitMs == 0) {
            return;
        }
        recordsInCommitInterval++;
        long now = context.currentSystemTimeMs();
        if (now - commitIntervalStartMs >= lightLoadCommitMs) {
            if (recordsInCommitInterval <= settings.lightLoadRecords()) {
                context.commit();
            }
            commitIntervalStartMs = now;
            recordsInCommitInterval = 0;
        }
    }

    /** The challenger's work runs inside its guard; the live model's as it is. */
    private void guarded(Runnable work) {
        if (settings.guard() == null) {
            work.run();
        } else {
            settings.guard().contain(work);
        }
    }

    private void handle(Record<String, byte[]> record) {
        metrics.eventIn();
        followModelSwap();
        if (resampler != null) {
            try {
                addToBucket(record);
            } finally {
                if (pending != null && isLastDeliveredInput()) {
                    flush();
                }
            }
            return;
        }
        if (pending == null) {
            PendingEvent event = accept(record);
            if (event != null) {
                try {
                    step(List.of(event));
                } finally {
                    storedAtAccept.clear();
                    actualsAtAccept.clear();
                }
            }
            return;
        }
        try {
            admitToBatch(record);
        } finally {
            // Also after a refused or redelivered event: it may be the last one delivered.
            if (isLastDeliveredInput()) {
                flush();
            }
        }
    }

    private void admitToBatch(Record<String, byte[]> record) {
        PendingEvent event = accept(record);
        if (event == null) {
            return;
        }
        if (pending.isFull()) {
            // Only events read back after a restart under a larger batch limit get here: step them before
            // their ring slots are reused.
            flush();
        }
        pending.add(event);
        if (pending.isFull()) {
            flush();
        }
    }

    /**
     * Whether the current record is the last one the consumer has delivered to this task: no more input
     * waits, so the batch is stepped now rather than when it is full or the maximum wait has passed.
     */
    private boolean isLastDeliveredInput() {
        if (deliveredInput == null) {
            return false;
        }
        RecordMetadata source = context.recordMetadata().orElse(null);
        if (source == null) {
            return false;
        }
        if (inputPartition == null || inputPartitionNumber != source.partition()
                || !inputTopic.equals(source.topic())) {
            inputTopic = source.topic();
            inputPartitionNumber = source.partition();
            inputPartition = deliveredInput.partitionOf(new TopicPartition(inputTopic, inputPartitionNumber));
        }
        return inputPartition.isLastDelivered(source.offset());
    }

    /** Events admitted under the old model are stepped by it before the new one takes over. */
    private void followModelSwap() {
        Forecaster latest = live.current();
        if (latest != model && latest.card().resamples() && openBuckets == null) {
            if (refusedSwap != latest) {
                refusedSwap = latest;
                LOG.error("Model card '{}' resamples, but this instance started with a card that does not and has no "
                        + "bucket stores; it keeps serving '{}' until restarted", latest.card().name(), model.card().name());
            }
            return;
        }
        if (latest != model) {
            flush();
            serve(latest);
        }
    }

    private void serve(Forecaster next) {
        model = next;
        extractor = new FeatureExtractor(next.card());
        List<String> fields = new ArrayList<>(extractor.fieldNames());
        if (settings.scoring() != null) {
            List<String> targetFields = LiveScoring.targetFields(next.card());
            actualsReader = new ActualsReader(targetFields);
            targetSlots = new int[targetFields.size()];
            for (int t = 0; t < targetSlots.length; t++) {
                if (!fields.contains(targetFields.get(t))) {
                    fields.add(targetFields.get(t));
                }
                targetSlots[t] = fields.indexOf(targetFields.get(t));
            }
        }
        eventFields = settings.reader().fields(fields, null);
        Admission admission = Admission.forModel(next, settings.gapRule());
        resampler = Resampler.forCard(next.card(), extractor, settings.lateness());
        keyStep = new KeyStep(next, admission, resampler);
        lateEvents = LateEvents.forModel(next, admission, settings.lateness(), resampler);
        Resampler buckets = resampler;
        targetTimes = buckets == null ? Scorer.TargetTimes.EVERY_CADENCE
                : (madeAtMs, cadenceMs, step) -> buckets.bucketStartAfter(madeAtMs, step);
    }

    /**
     * Adds the event to its key's open bucket. The bucket it closes waits in the micro-batch like an event when
     * batching (so buckets closed by many keys' events share model calls), else is stepped at once.
     */
    private void addToBucket(Record<String, byte[]> record) {
        String key = seriesKey(record);
        EventReader.Values event = settings.reader().read(record.value(), eventFields);
        long eventTime = settings.reader().eventTime(event, record.timestamp());
        double[] values = extractor.fieldValues(event);
        OpenBucket stored = openBuckets.get(key);
        Resampler.Added added = resampler.add(key, stored, eventTime, values);
        if (added.redelivery()) {
            metrics.duplicate();
            return;
        }
        if (added.revision() != null) {
            revise(key, eventTime, added.revision());
            openBuckets.put(key, stored, added.bucket());
            return;
        }
        if (pending == null) {
            stepBuckets(Map.of(key, added.steps()), false);
        } else {
            addToBatch(key, added.steps());
        }
        openBuckets.put(key, stored, added.bucket());
    }

    /** Admits a key's closed bucket (fills first) into the micro-batch, after what the key already has there. */
    private void addToBatch(String key, List<Resampler.Step> steps) {
        for (Resampler.Step step : steps) {
            PendingEvent waiting = pending.lastOf(key);
            KeyState state = waiting == null ? storedState(key) : null;
            Admission.Decision decision = keyStep.admit(key, step.startMs(), step.features(), waiting, state,
                    () -> storedWindow(key));
            if (decision.redelivery()) {
                metrics.duplicate();
                continue;
            }
            if (pending.isFull()) {
                flush();
            }
            PendingEvent bucket = bucketEvent(pending.nextSequence(), key, step, decision,
                    previousTime(waiting, state));
            keepBucketActuals(bucket, step);
            pending.add(bucket);
            if (pending.isFull()) {
                flush();
            }
        }
    }

    private static PendingEvent bucketEvent(long sequence, String key, Resampler.Step step, Admission.Decision decision,
                                            long previousTimeMs) {
        return new PendingEvent(sequence, key, step.startMs(), step.features(), decision.preparation(), step.events(),
                step.filledBefore(), previousTimeMs);
    }

    /** The time of the key's last accepted event: its last waiting one, else the one its state last stepped. */
    private static long previousTime(PendingEvent waiting, KeyState state) {
        return waiting != null ? waiting.eventTimeMs() : state != null ? state.lastEventTimeMs() : Long.MIN_VALUE;
    }

    /** Steps every open bucket the partition's stream time has passed by the grace. */
    private void stepEndedBuckets(long streamTime) {
        followModelSwap();
        // Buckets closed by events go first: a key's next bucket must follow its step.
        flush();
        if (resampler != null) {
            stepBuckets(openBuckets.closeEndedBy(streamTime - settings.resampleGrace().toMillis(), resampler), true);
        }
    }

    /**
     * Steps closed buckets, round by round: each key's fills, then its bucket. A round's keys are distinct and
     * share model calls of up to the maximum batch.
     *
     * @param skipRefused whether a bucket the admission rules refuse is logged and skipped (in a punctuation,
     *                    which has no event to dead-letter) rather than thrown for its event
     */
    private void stepBuckets(Map<String, List<Resampler.Step>> stepsByKey, boolean skipRefused) {
        int rounds = stepsByKey.values().stream().mapToInt(List::size).max().orElse(0);
        for (int round = 0; round < rounds; round++) {
            List<PendingEvent> events = new ArrayList<>();
            for (Map.Entry<String, List<Resampler.Step>> keySteps : stepsByKey.entrySet()) {
                if (round < keySteps.getValue().size()) {
                    PendingEvent event = admitBucket(keySteps.getKey(), keySteps.getValue().get(round), skipRefused);
                    if (event != null) {
                        events.add(event);
                    }
                }
            }
            for (int from = 0; from < events.size(); from += settings.maxBatch()) {
                step(events.subList(from, Math.min(events.size(), from + settings.maxBatch())));
            }
        }
    }

    private PendingEvent admitBucket(String key, Resampler.Step bucket, boolean skipRefused) {
        try {
            KeyState state = storedState(key);
            Admission.Decision decision = keyStep.admit(key, bucket.startMs(), bucket.features(), null, state,
                    () -> storedWindow(key));
            if (decision.redelivery()) {
                metrics.duplicate();
                return null;
            }
            PendingEvent event = bucketEvent(0, key, bucket, decision, previousTime(null, state));
            keepBucketActuals(event, bucket);
            return event;
        } catch (InvalidEventException refused) {
            if (!skipRefused) {
                throw refused;
            }
            LOG.warn("Bucket of key '{}' starting {} not stepped: {}: {}", key, Instant.ofEpochMilli(bucket.startMs()),
                    refused.reason().label(), refused.getMessage());
            return null;
        }
    }

    /**
     * A bucket's aggregates of the target fields are the actuals its step scores against (NaN for a target the
     * card does not aggregate); a filled empty bucket has none, so the steps due at it are skipped.
     */
    private void keepBucketActuals(PendingEvent event, Resampler.Step step) {
        if (scoring == null || step.isFill()) {
            return;
        }
        actualsAtAccept.put(event, actualsReader.read(resampler, step));
    }

    /**
     * Reads the event, turns it into features and admits it against its key's history; nothing is stored yet.
     *
     * @return the event to step, or null for an exact redelivery or a late event (corrected at once)
     */
    private PendingEvent accept(Record<String, byte[]> record) {
        String key = seriesKey(record);
        EventReader.Values event = settings.reader().read(record.value(), eventFields);
        long eventTime = settings.reader().eventTime(event, record.timestamp());
        float[] features = extractor.extract(event, eventTime);

        PendingEvent waiting = pending == null ? null : pending.lastOf(key);
        StateRecord stored = waiting == null ? stored(key) : null;
        KeyState state = stored == null ? null : stored.state();
        if (lateEvents != null && LateEvents.isBehind(eventTime, waiting != null ? waiting.eventTimeMs()
                : state != null ? state.lastEventTimeMs() : Long.MIN_VALUE)) {
            correct(key, eventTime, features);
            return null;
        }
        Admission.Decision decision = keyStep.admit(key, eventTime, features, waiting, state,
                () -> storedWindow(key));
        if (decision.redelivery()) {
            metrics.duplicate();
            return null;
        }
        if (state != null) {
            storedAtAccept.put(key, stored);
        }
        PendingEvent accepted = new PendingEvent(pending == null ? 0 : pending.nextSequence(), key, eventTime,
                features, decision.preparation(), previousTime(waiting, state));
        if (scoring != null) {
            actualsAtAccept.put(accepted, actualsReader.read(event, targetSlots));
        }
        return accepted;
    }

    /**
     * Inserts a late event into its key's history and replays the key, after stepping the waiting events so
     * that the key's stored state and history hold every event accepted before this one.
     */
    private void correct(String key, long eventTime, float[] features) {
        flush();
        StateRecord stored = stored(key);
        LateEvents.Correction correction = lateEvents.correct(key, eventTime, features, stored.state(),
                stored.window(), stored.history());
        if (correction.redelivery()) {
            metrics.duplicate();
            return;
        }
        publish(key, stored, correction);
    }

    /**
     * Replays a key whose stepped bucket a late event revised, after stepping the waiting buckets so that the
     * key's stored state and history hold every step before it.
     */
    private void revise(String key, long eventTime, Resampler.Revision revision) {
        flush();
        StateRecord stored = stored(key);
        publish(key, stored, lateEvents.revise(key, eventTime, stored.state(), stored.window(), stored.history(),
                revision));
    }

    /** Forwards a correction's forecasts and stores the key's replayed state, history and latest forecast. */
    private void publish(String key, StateRecord stored, LateEvents.Correction correction) {
        metrics.correction(correction.replayed());
        for (Forecast forecast : correction.forecasts()) {
            context.forward(new Record<>(key, ForecastJson.write(forecast), forecast.eventTimeMs()));
            metrics.forecastOut(forecast.eventTimeMs());
        }
        stateStore.put(key, new StateRecord(correction.state(), correction.window(), correction.history(),
                stored.waiting()).encode());
        Forecast latest = correction.latest();
        if (latestStore != null && latest != null) {
            latestStore.put(key, ForecastJson.write(latest));
        }
    }

    private static String seriesKey(Record<String, byte[]> record) {
        String key = record.key();
        if (key == null || key.isEmpty()) {
            throw new InvalidEventException(Reason.NO_KEY, "event has " + (key == null ? "no" : "an empty")
                    + " record key; the record key is the series id");
        }
        return key;
    }

    /** Steps every pending event, round by round, and marks them stepped. */
    private void flush() {
        if (pending == null || pending.isEmpty()) {
            return;
        }
        try {
            for (List<PendingEvent> round : pending.rounds()) {
                for (int from = 0; from < round.size(); from += settings.maxBatch()) {
                    step(round.subList(from, Math.min(round.size(), from + settings.maxBatch())));
                }
            }
            pending.markStepped();
        } finally {
            // Only an event admitted but not yet in the ring (it waits for this flush) keeps its actuals.
            long admittedFrom = pending.nextSequence();
            actualsAtAccept.keySet().removeIf(event -> event.sequence() < admittedFrom);
        }
        storedAtAccept.clear();
    }

    /** One model call for events of distinct keys: read their state, step, store, forward. */
    private void step(List<PendingEvent> candidates) {
        List<PendingEvent> events = new ArrayList<>(candidates.size());
        List<Forecaster.Request> requests = new ArrayList<>(candidates.size());
        List<Scorer.Actuals> actuals = new ArrayList<>(scoring == null ? 0 : candidates.size());
        List<StateRecord> before = new ArrayList<>(candidates.size());
        for (PendingEvent event : candidates) {
            Scorer.Actuals eventActuals = actualsAtAccept.remove(event);
            StateRecord accepted = storedAtAccept.remove(event.key());
            StateRecord stored = accepted != null ? accepted : stored(event.key());
            KeyState state = stored.state();
            if (state != null && state.lastEventTimeMs() >= event.eventTimeMs()) {
                // Already stepped: the pending store and the state disagree (they should not). Stepping it
                // again would corrupt the key's state, so it is dropped like a redelivery.
                LOG.warn("Pending event of key '{}' at {} was already stepped (state at {}); dropped", event.key(),
                        Instant.ofEpochMilli(event.eventTimeMs()), Instant.ofEpochMilli(state.lastEventTimeMs()));
                metrics.duplicate();
                continue;
            }
            events.add(event);
            if (scoring != null) {
                actuals.add(eventActuals);
            }
            before.add(stored);
            boolean needsWindow = model.card().keepsWindow() || event.preparation() != StatePreparation.CONTINUE;
            FeatureWindow window = !needsWindow ? null
                    : model.card().keepsWindow() ? stored.window() : storedWindow(event.key());
            requests.add(new Forecaster.Request(event.key(), event.eventTimeMs(), event.features(), state, window,
                    event.preparation()));
        }
        if (events.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        List<Forecaster.Outcome> outcomes = keyStep.process(requests);
        metrics.modelCall(events.size(), System.nanoTime() - started);
        store(events, requests, outcomes, before, actuals);
    }

    /**
     * Forwards the stepped events' forecasts (and, when scoring, the scores they settle), then stores their state
     * records (state, with the window when the card keeps one, the history when late events are allowed and the
     * waiting forecasts when scoring) and latest forecasts with one {@code putAll} per store: one pass through the
     * metered store layer per model call rather than per event. Forwarded first, so a failure in between repeats
     * forecasts on the retry rather than losing them.
     *
     * @param before  what each event's key had stored before it
     * @param actuals when scoring, each event's target values (null where not known); empty otherwise
     */
    private void store(List<PendingEvent> events, List<Forecaster.Request> requests, List<Forecaster.Outcome> outcomes,
                       List<StateRecord> before, List<Scorer.Actuals> actuals) {
        List<KeyValue<String, byte[]>> states = new ArrayList<>(events.size());
        List<KeyValue<String, byte[]>> latest = new ArrayList<>(latestStore != null ? events.size() : 0);
        for (int i = 0; i < events.size(); i++) {
            PendingEvent event = events.get(i);
            Forecaster.Outcome outcome = outcomes.get(i);
            if (event.preparation() != StatePreparation.CONTINUE) {
                metrics.stateRebuilt(event.preparation());
            }
            Forecast forecast = keyStep.published(outcome.forecast(), event.bucketEvents(), event.filledBefore());
            if (forecast != null) {
                // Written once: the same JSON goes to the output topic and to the latest-forecast store.
                byte[] json = ForecastJson.write(forecast);
                if (latestStore != null) {
                    latest.add(KeyValue.pair(event.key(), json));
                }
                context.forward(new Record<>(event.key(), json, event.eventTimeMs()));
                metrics.forecastOut(event.eventTimeMs());
            }
            KeyHistory history = lateEvents == null ? null
                    : lateEvents.record(before.get(i).history(), requests.get(i), outcome, forecast != null);
            byte[] waiting = scoring == null ? null : scoring.afterStep(event.key(), before.get(i).waiting(),
                    event.eventTimeMs(), actuals.get(i), outcome.forecast(), model.card(), targetTimes, actualsReader.targets());
            states.add(KeyValue.pair(event.key(), new StateRecord(outcome.state(), outcome.window(), history, waiting)
                    .encode()));
        }
        stateStore.putAll(states);
        if (!latest.isEmpty()) {
            latestStore.putAll(latest);
        }
    }

    private KeyState storedState(String key) {
        byte[] bytes = stateStore.get(key);
        return bytes == null ? null : StateRecord.decode(bytes, false, false, false).state();
    }

    /**
     * What the key has stored that the served model uses at every event (its state, the window the card keeps,
     * the history when late events are allowed, the waiting forecasts when scoring), from one store read.
     */
    private StateRecord stored(String key) {
        byte[] bytes = stateStore.get(key);
        return bytes == null ? StateRecord.NONE
                : StateRecord.decode(bytes, model.card().keepsWindow(), lateEvents != null, scoring != null);
    }

    /** The key's stored window, kept by this model's card or by the one before a swap; null when none. */
    private FeatureWindow storedWindow(String key) {
        byte[] bytes = stateStore.get(key);
        return bytes == null ? null : StateRecord.decode(bytes, true, false, false).window();
    }
}
