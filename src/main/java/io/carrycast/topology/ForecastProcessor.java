package io.carrycast.topology;

import io.carrycast.accuracy.AccuracyBoard;
import io.carrycast.accuracy.Intervals;
import io.carrycast.accuracy.Scorer;
import io.carrycast.engine.ForecastEngine;
import io.carrycast.engine.ForecastEngine.Admitted;
import io.carrycast.engine.OpenBucketIndex;
import io.carrycast.engine.RouteStates;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.LiveModel;
import io.carrycast.forecast.Resampler;
import io.carrycast.metrics.CarrycastMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * Forecasts per event through the {@link ForecastEngine}, over the node's state stores: hands each record to the
 * engine, holds admitted events in the micro-batch and applies what the engine returns ({@link ForecastOutput}).
 * An event that cannot be used raises {@link InvalidEventException} before anything is stored, and the processing
 * exception handler routes it to the dead-letter topic. As the challenger (a {@link ChallengerGuard} in the
 * settings), nothing the processor throws leaves it.
 *
 * <p>With a maximum batch of 1 an admitted event is stepped at once. Otherwise it waits in the
 * {@link PendingRing} until the batch is full or the task has processed the last record the consumer
 * delivered ({@link DeliveredInput}): at full load a poll delivers hundreds of events per task and batches
 * fill; at a light load each batch holds what arrived since the last poll. A wall-clock punctuation at the
 * maximum wait steps what is left when the end of the delivered input is not seen: when the task has processed
 * no record since the punctuation before. While records flow it leaves the batch be, since Kafka Streams
 * processes every record a poll delivered before it polls again, so the end comes within one poll's records;
 * a batch stepped at every punctuation instead would hold only what arrived in one interval, which with many
 * routes is a small share of a poll. The waiting events are stepped one model call per round of distinct keys,
 * so each key's step sees the state the previous one stored.
 * A late event is corrected ({@link LateEvents}) once the waiting events are stepped, while that one record is
 * processed, so under exactly_once_v2 a correction commits with its input offset.
 *
 * <p>A card with a resample block steps cadence buckets ({@link Resampler}): the bucket an event closes waits
 * in the micro-batch like an event; a stream-time punctuation steps the buckets the partition's stream time has
 * passed by the grace, one model call per round of distinct keys.
 */
final class ForecastProcessor implements Processor<String, byte[], String, byte[]> {

    /**
     * Settings the processor needs beyond the model.
     *
     * @param stores       the node's store names
     * @param scoring      where scores are tallied, or null when forecasts are not scored
     * @param forwards     what is forwarded beside forecasts: score and anomaly records
     * @param guard        null for the live model; for the challenger, what keeps its failures to itself
     * @param lightLoadCommitInterval how often a task at a light load requests a commit; zero: never
     * @param lightLoadRecords        most records a task may process in that interval and still be at a light load
     * @param origin       for one route of several ({@link RoutedProcessor}), which route wrote a key's state; else null
     */
    record Settings(EventReader reader, int maxBatch, Duration maxWait, Admission.GapRule gapRule,
                    boolean keepLatest, LateEvents.Bound lateness, Duration resampleGrace, StoreNames stores,
                    AccuracyBoard scoring, Intervals intervals, LiveScoring.Forwards forwards,
                    ChallengerGuard guard, Duration lightLoadCommitInterval, int lightLoadRecords,
                    RouteStates.Origin origin) {
    }

    /** How often, in stream time, the open-bucket index is checked for buckets the grace has passed. */
    private static final Duration BUCKET_CHECK_INTERVAL = Duration.ofSeconds(1);

    private final LiveModel live;
    private final Settings settings;
    private final CarrycastMetrics metrics;

    private final ModelSwaps swaps;
    private ForecastEngine engine;
    private ProcessorContext<String, byte[]> context;
    private ForecastOutput output;
    /** Null when each event is stepped as it arrives. */
    private PendingRing pending;
    /** Null where no consumer reports its polls (a test driver): batches then wait to fill or for the maximum wait. */
    private DeliveredInput.Cursor deliveredInput;
    private LightLoadCommits commits;
    /** The task's processed records at the last maximum-wait punctuation. */
    private long recordsAtLastWaitCheck = -1;

    ForecastProcessor(LiveModel live, Settings settings, CarrycastMetrics metrics) {
        this.live = live;
        this.settings = settings;
        this.metrics = metrics;
        this.swaps = new ModelSwaps(live);
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.commits = new LightLoadCommits(context, settings.lightLoadCommitInterval(), settings.lightLoadRecords());
        StoreNames stores = settings.stores();
        Forecaster first = live.acquire();
        OpenBucketIndex buckets = null;
        if (first.card().resamples()) {
            buckets = new OpenBucketIndex(new BucketStores(context.getStateStore(stores.bucket()),
                    context.getStateStore(stores.bucketDue())));
            context.schedule(BUCKET_CHECK_INTERVAL, PunctuationType.STREAM_TIME,
                    streamTime -> guarded(() -> stepEndedBuckets(streamTime)));
        }
        StateStoreRecords records = new StateStoreRecords(context.getStateStore(stores.state()));
        this.output = new ForecastOutput(context, records, settings.keepLatest() ? context.getStateStore(stores.latest())
                : null, metrics, settings.origin() == null ? null : settings.origin().name());
        Scorer.Sink scores = settings.scoring() == null ? null
                : LiveScoring.sink(settings.scoring(), settings.forwards(), context);
        this.engine = new ForecastEngine(new ForecastEngine.Settings(settings.reader(), settings.gapRule(),
                settings.lateness(), settings.intervals()), records, buckets, scores, metrics, first, settings.origin());
        DeliveredInput delivered = DeliveredInput.from(context.appConfigs());
        this.deliveredInput = delivered == null ? null : delivered.cursor();
        if (settings.maxBatch() > 1) {
            this.pending = PendingRing.reload(context.getStateStore(stores.pending()), settings.maxBatch());
            pending.letGoOfEventsAheadOfState(engine::steppedUpTo);
            // A bound for when the end of the delivered input is not seen, e.g. when the last delivered record
            // is dropped by Kafka Streams before it reaches this processor.
            context.schedule(settings.maxWait(), PunctuationType.WALL_CLOCK_TIME, now -> guarded(() -> {
                followModelSwap();
                if (inputStoppedSinceLastWaitCheck()) {
                    flush();
                }
            }));
        }
    }

    /** Lets go of the model this processor serves: it is closed once no other processor holds it. */
    @Override
    public void close() {
        if (engine != null) {
            live.release(engine.model());
            engine = null;
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        try {
            guarded(() -> handle(record));
        } finally {
            commits.recordProcessed();
        }
    }

    /** The challenger's work runs inside its guard; the live model's as it is. */
    private void guarded(Runnable work) {
        ChallengerGuard.containedBy(settings.guard(), work);
    }

    private void handle(Record<String, byte[]> record) {
        followModelSwap();
        try {
            if (engine.resamples()) {
                addToBucket(record);
            } else {
                admit(record);
            }
        } finally {
            // Also after a refused or redelivered event: it may be the last one delivered.
            if (pending != null && isLastDeliveredInput()) {
                flush();
            }
        }
    }

    /** Admits the event: steps it at once, or adds it to the micro-batch; a late one is corrected at once. */
    private void admit(Record<String, byte[]> record) {
        String key = record.key();
        Admitted event = engine.accept(key, record.value(), record.timestamp(),
                pending == null ? null : pending.lastOf(key), pending == null ? 0 : pending.nextSequence());
        if (event == null) {
            return;
        }
        if (event.late()) {
            flush();
            output.corrected(engine.correct(event));
        } else if (pending == null) {
            output.stepped(engine.step(List.of(event)));
        } else {
            addToBatch(event);
        }
    }

    private void addToBatch(Admitted event) {
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

    /** Steps the waiting events when one is {@code key}'s (any, for null): the key's next event goes elsewhere. */
    void stepWaitingOf(String key) {
        if (pending != null && (key == null ? !pending.isEmpty() : pending.lastOf(key) != null)) {
            guarded(this::flush);
        }
    }

    /** Steps the waiting events, if any: the task's last delivered record went to another route. */
    void stepWaitingAtEndOfInput() {
        if (pending != null && !pending.isEmpty()) {
            guarded(this::flush);
        }
    }

    /**
     * Counts this route's records, and requests light-load commits, with the task's other routes in
     * {@code shared}: the light-load test judges the task's load, not this route's share of it.
     */
    void countRecordsWith(LightLoadCommits shared) {
        this.commits = shared;
    }

    LightLoadCommits commits() {
        return commits;
    }

    /**
     * Whether the current record is the last one the consumer has delivered to this task: no more input
     * waits, so the batch is stepped now rather than when it is full or the maximum wait has passed.
     */
    boolean isLastDeliveredInput() {
        RecordMetadata source = deliveredInput == null ? null : context.recordMetadata().orElse(null);
        return source != null && deliveredInput.isLastDelivered(source);
    }

    /**
     * Whether the task has processed no record since the last maximum-wait punctuation, or no consumer reports
     * its polls: the waiting events are then stepped, since no end of the delivered input will step them.
     */
    private boolean inputStoppedSinceLastWaitCheck() {
        long processed = commits.recordsProcessed();
        boolean stopped = processed == recordsAtLastWaitCheck;
        recordsAtLastWaitCheck = processed;
        return stopped || deliveredInput == null;
    }

    /** Events admitted under the old model are stepped by it before the new one takes over. */
    private void followModelSwap() {
        swaps.follow(engine, this::flush);
    }

    /**
     * Adds the event to its key's open bucket. The bucket it closes waits in the micro-batch like an event when
     * batching (so buckets closed by many keys' events share model calls), else is stepped at once.
     */
    private void addToBucket(Record<String, byte[]> record) {
        String key = record.key();
        ForecastEngine.BucketArrival arrival = engine.addToBucket(key, record.value(), record.timestamp());
        if (arrival == null) {
            return;
        }
        if (arrival.added().revision() != null) {
            flush();
            output.corrected(engine.revise(arrival));
        } else if (pending == null) {
            stepBuckets(Map.of(key, arrival.added().steps()), false);
        } else {
            for (Resampler.Step step : arrival.added().steps()) {
                Admitted bucket = engine.admitBucket(key, step, pending.lastOf(key), pending.nextSequence());
                if (bucket != null) {
                    addToBatch(bucket);
                }
            }
        }
        engine.keepBucket(arrival);
    }

    /** Steps every open bucket the partition's stream time has passed by the grace. */
    private void stepEndedBuckets(long streamTime) {
        followModelSwap();
        // Buckets closed by events go first: a key's next bucket must follow its step.
        flush();
        if (engine.resamples()) {
            stepBuckets(engine.closeEndedBy(streamTime - settings.resampleGrace().toMillis()), true);
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
            stepInBatches(engine.admitRound(stepsByKey, round, skipRefused));
        }
    }

    /** Steps every pending event, round by round, and marks them stepped. */
    private void flush() {
        if (pending == null || pending.isEmpty()) {
            return;
        }
        try {
            for (List<Admitted> round : pending.rounds()) {
                stepInBatches(round);
            }
            pending.markStepped();
        } catch (RuntimeException failed) {
            // The events left are stepped later from what is stored then, and are not scored.
            pending.forgetAdmissions();
            throw failed;
        }
    }

    /** Steps events of distinct keys, up to the maximum batch per model call. */
    private void stepInBatches(List<Admitted> events) {
        for (int from = 0; from < events.size(); from += settings.maxBatch()) {
            output.stepped(engine.step(events.subList(from, Math.min(events.size(), from + settings.maxBatch()))));
        }
    }
}
