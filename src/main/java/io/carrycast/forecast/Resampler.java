package io.carrycast.forecast;

import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.Resample;
import io.carrycast.bundle.Resample.Aggregate;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.state.OpenBucket;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Combines each key's irregular events into one value per cadence bucket, as the card's {@code resample}
 * block says, and decides which buckets are stepped. Plain rules with no Kafka in them: the stream processor
 * and the backtest both call them, keeping each key's {@link OpenBucket} where they keep state.
 *
 * <p>Buckets are aligned to the cadence in the card's time zone: a {@code P1D} bucket starts at local midnight,
 * {@code PT1H} on the hour, {@code PT15M} on the quarter. A bucket is stepped ({@link #add} returns it) when the
 * key's next event falls into a later bucket, or when the caller closes it ({@link #close}: the stream does so
 * once the partition's stream time has passed the bucket's end by the grace). Its step is stamped with the
 * bucket's start, and calendar features are computed for that start. Before it, up to the block's
 * {@code max_fill} empty buckets since the key's previous step are stepped as the block's {@code empty} says
 * (carry or zeros), without forecasts of their own; after a longer silence, or with {@code skip}, none are,
 * and the gap policy judges the silence.
 *
 * <p>Without an allowed lateness, event time must increase per key: an event with the time and values of the
 * key's last accepted event is an exact redelivery ({@link Added#redelivery()}), any other event not after it
 * is refused as {@link Reason#LATE}, and so is an event falling into a bucket already stepped. With an allowed
 * lateness, an event behind the key's latest one by no more than it is taken as if it had arrived in time order
 * (a {@code first} aggregate takes the earliest event's value), and a redelivery of one of the key's recent
 * events is recognised. A late event for the open bucket joins it. One for a bucket already stepped (or for an
 * empty bucket since stepped past) revises that bucket's aggregates ({@link Added#revision()}): the key's steps
 * from the bucket before it on are recomputed, fills included, for the caller to replay
 * ({@link LateEvents#revise}). The stepped buckets a late event can still reach are kept in the key's
 * {@link OpenBucket} for this.
 */
public final class Resampler {

    private static final long DAY_MS = Duration.ofDays(1).toMillis();

    /**
     * How far stream time passes a bucket's end before the bucket is stepped, unless configured otherwise
     * ({@code carrycast.resample.grace.ms}).
     */
    public static final long DEFAULT_GRACE_MS = 5_000L;

    /**
     * One model step of a key's resampled stream.
     *
     * @param startMs      the bucket's start: the step's event time
     * @param features     the model input: the bucket's aggregates normalised, calendar features for its start
     * @param values       the bucket's aggregated raw values, for {@link FeatureExtractor#fieldNames()}
     * @param events       events the bucket held; 0 for a filled empty bucket, which gives no forecast
     * @param filledBefore empty buckets filled just before this one (0 for a filled bucket itself)
     */
    public record Step(long startMs, float[] features, double[] values, int events, int filledBefore) {
        /** Whether this step fills an empty bucket: stepped for the state, with no forecast. */
        public boolean isFill() {
            return events == 0;
        }
    }

    /**
     * What an event did to its key.
     *
     * @param bucket     the key's resampling state after the event (unchanged for a redelivery)
     * @param steps      the steps of the bucket the event closed, fills first; empty when none closed
     * @param redelivery whether the event was an exact redelivery of one of the key's events, and dropped
     * @param revision   when the event revised a bucket already stepped: the key's steps to replay; else null
     */
    public record Added(OpenBucket bucket, List<Step> steps, boolean redelivery, Revision revision) {
        Added(OpenBucket bucket, List<Step> steps, boolean redelivery) {
            this(bucket, steps, redelivery, null);
        }
    }

    /**
     * A late event revised a stepped bucket (or fell into an empty one, which now has events): every step of the
     * key after {@code afterStartMs} is replaced by {@code steps}, recomputed from the kept buckets' aggregates
     * with the fill rules, and must be stepped again from the key's state after that time.
     *
     * @param afterStartMs the start of the last stepped bucket the revision leaves as it was, or
     *                     {@link Long#MIN_VALUE} when the key's steps are replaced from its first
     * @param steps        the replacing steps, fills included, in time order, up to the key's last stepped bucket
     */
    public record Revision(long afterStartMs, List<Step> steps) {
    }

    /** The key's state after its open bucket was stepped, and the steps. */
    public record Closed(OpenBucket bucket, List<Step> steps) {
    }

    private final FeatureExtractor extractor;
    private final Resample spec;
    private final ZoneId zone;
    /** Whether the zone keeps one offset (UTC, +05:00), so buckets follow by arithmetic alone. */
    private final boolean fixedOffset;
    private final long offsetMs;
    private final long cadenceMs;
    private final Aggregate[] aggregates;
    /** The event fields aggregated, in the order of {@link #aggregates}. */
    private final List<String> fields;

    /** Late events accepted into the open bucket; {@link LateEvents.Bound#NONE}: none. */
    private final LateEvents.Bound lateness;

    /** The rules of {@code card}, which must have a resample block; {@code extractor} reads its features. */
    public Resampler(ModelCard card, FeatureExtractor extractor) {
        this(card, extractor, LateEvents.Bound.NONE);
    }

    /**
     * @param lateness how far behind its key's latest event an event may be and still go into the key's open
     *                 bucket ({@code carrycast.lateness.allowed.ms}); its {@code maxEvents} bounds the open
     *                 bucket's latest events kept to recognise a late redelivery
     */
    public Resampler(ModelCard card, FeatureExtractor extractor, LateEvents.Bound lateness) {
        this.lateness = lateness;
        if (card.resample() == null) {
            throw new IllegalArgumentException("model card '" + card.name() + "' has no resample block");
        }
        this.extractor = extractor;
        this.spec = card.resample();
        this.zone = card.timezone();
        ZoneOffset fixed = zone.getRules().isFixedOffset() ? zone.getRules().getOffset(Instant.EPOCH) : null;
        this.fixedOffset = fixed != null;
        this.offsetMs = fixed == null ? 0 : fixed.getTotalSeconds() * 1000L;
        this.cadenceMs = card.cadence().toMillis();
        this.fields = extractor.fieldNames();
        this.aggregates = new Aggregate[fields.size()];
        for (int i = 0; i < aggregates.length; i++) {
            aggregates[i] = spec.aggregateOf(fields.get(i));
        }
    }

    /** The resampler for the card, or null when the card steps once per event. */
    public static Resampler forCard(ModelCard card, FeatureExtractor extractor, LateEvents.Bound lateness) {
        return card.resamples() ? new Resampler(card, extractor, lateness) : null;
    }

    /** The event fields a bucket aggregates, in the order of the values {@link #add} takes. */
    public List<String> fieldNames() {
        return fields;
    }

    /** How many event fields a bucket aggregates. */
    public int fieldCount() {
        return aggregates.length;
    }

    /** The start of the bucket holding {@code timeMs}. */
    public long bucketStart(long timeMs) {
        if (fixedOffset) {
            return Math.floorDiv(timeMs + offsetMs, cadenceMs) * cadenceMs - offsetMs;
        }
        long midnight = localMidnight(timeMs);
        return midnight + Math.floorDiv(timeMs - midnight, cadenceMs) * cadenceMs;
    }

    /** The end (exclusive) of the bucket starting at {@code startMs}: the next bucket's start. */
    public long bucketEnd(long startMs) {
        if (fixedOffset) {
            return startMs + cadenceMs;
        }
        // A local day may last 23 or 25 hours; its last bucket ends at the next local midnight.
        long nextMidnight = nextLocalMidnight(startMs);
        return cadenceMs == DAY_MS ? nextMidnight : Math.min(startMs + cadenceMs, nextMidnight);
    }

    /**
     * The start of the bucket {@code steps} buckets after the one starting at {@code startMs}: where a forecast
     * made at that bucket is scored for its step {@code steps}. Local days of 23 or 25 hours make this differ
     * from {@code startMs + steps * cadence} in zones with daylight saving.
     */
    public long bucketStartAfter(long startMs, int steps) {
        if (fixedOffset) {
            return startMs + steps * cadenceMs;
        }
        long start = startMs;
        long nextMidnight = nextLocalMidnight(start);
        for (int i = 0; i < steps; i++) {
            long next = start + cadenceMs;
            if (cadenceMs == DAY_MS || next >= nextMidnight) {
                next = nextMidnight;
                nextMidnight = nextLocalMidnight(next);
            }
            start = next;
        }
        return start;
    }

    /**
     * A bucket's forecast: it says what the bucket held, and each step's target time is the start of the bucket
     * that step forecasts ({@link #bucketStartAfter}).
     */
    public Forecast bucketForecast(Forecast forecast, int events, int filledBefore) {
        Forecast.Bucket bucket = new Forecast.Bucket(events, filledBefore);
        if (fixedOffset) {
            return forecast.withBucket(bucket);
        }
        List<Forecast.Point> points = new ArrayList<>(forecast.points().size());
        long start = forecast.eventTimeMs();
        int stepsFromStart = 0;
        for (Forecast.Point point : forecast.points()) {
            // Points come step by step: each bucket start follows on from the previous one.
            start = bucketStartAfter(start, point.step() - stepsFromStart);
            stepsFromStart = point.step();
            points.add(new Forecast.Point(point.step(), start, point.values(), point.rollout(), point.intervals()));
        }
        return new Forecast(forecast.key(), forecast.eventTimeMs(), forecast.modelName(), forecast.modelVersion(),
                forecast.mode(), forecast.stepsSeen(), forecast.stateNote(), points, forecast.revision(), bucket);
    }

    /** A stepped bucket's aggregated value of an event field; NaN when the card does not aggregate that field. */
    public double valueOf(Step step, String field) {
        int slot = fields.indexOf(field);
        return slot < 0 ? Double.NaN : step.values()[slot];
    }

    private long nextLocalMidnight(long timeMs) {
        return Instant.ofEpochMilli(timeMs).atZone(zone).toLocalDate().plusDays(1).atStartOfDay(zone).toInstant()
                .toEpochMilli();
    }

    private long localMidnight(long timeMs) {
        return Instant.ofEpochMilli(timeMs).atZone(zone).toLocalDate().atStartOfDay(zone).toInstant().toEpochMilli();
    }

    /**
     * Adds one event of {@code key} with raw values {@code values} (for {@link FeatureExtractor#fieldNames()}).
     *
     * @param stored the key's state, or null for a key never seen
     * @throws InvalidEventException as {@link Reason#LATE}
     */
    public Added add(String key, OpenBucket stored, long eventTimeMs, double[] values) {
        OpenBucket state = stored == null || stored.fieldCount() != aggregates.length
                ? OpenBucket.initial(aggregates.length, lateness.enabled()) : stored;
        long digest = OpenBucket.digest(eventTimeMs, values);
        if (state.lastEventTimeMs() != Long.MIN_VALUE && eventTimeMs <= state.lastEventTimeMs()) {
            if (eventTimeMs == state.lastEventTimeMs() && digest == state.lastEventDigest()) {
                return new Added(state, List.of(), true);
            }
            return addLate(key, state, eventTimeMs, values, digest);
        }
        long start = bucketStart(eventTimeMs);
        if (start <= state.lastSteppedStartMs()) {
            // After the key's latest event, but its bucket was stepped when stream time passed its end.
            if (lateness.enabled()) {
                return revise(key, state, eventTimeMs, values, digest);
            }
            throw new InvalidEventException(Reason.LATE, "event time " + Instant.ofEpochMilli(eventTimeMs) + " of key '"
                    + key + "' falls into the bucket starting " + Instant.ofEpochMilli(start)
                    + ", already stepped (the key's last stepped bucket starts "
                    + Instant.ofEpochMilli(state.lastSteppedStartMs()) + ")");
        }
        List<Step> steps = List.of();
        if (state.isOpen() && start != state.openStartMs()) {
            Closed closed = close(state);
            state = closed.bucket();
            steps = closed.steps();
        }
        double[] running = state.isOpen() ? state.running().clone() : new double[aggregates.length];
        int events = state.isOpen() ? state.eventCount() : 0;
        for (int i = 0; i < aggregates.length; i++) {
            running[i] = accumulate(aggregates[i], running[i], values[i], events == 0);
        }
        long firstEventTime = events == 0 ? eventTimeMs : state.firstEventTimeMs();
        Recent recent = keepRecent(state, eventTimeMs, digest, eventTimeMs);
        OpenBucket next = new OpenBucket(state.lastSteppedStartMs(), start, bucketEnd(start), events + 1,
                firstEventTime, eventTimeMs, digest, state.stepped(), running, recent.times(), recent.digests(),
                keptWithin(state.kept(), eventTimeMs));
        return new Added(next, steps, false);
    }

    /**
     * An event not after its key's latest one: with an allowed lateness, when it is within the lateness of the
     * latest event and not older than the recent events kept to recognise its redelivery, it joins the key's
     * open bucket as if it had arrived in time order, or revises the stepped bucket it belongs to.
     */
    private Added addLate(String key, OpenBucket state, long eventTimeMs, double[] values, long digest) {
        String event = "event time " + Instant.ofEpochMilli(eventTimeMs) + " of key '" + key + "'";
        long latest = state.lastEventTimeMs();
        if (!lateness.enabled()) {
            throw new InvalidEventException(Reason.LATE, event + " is not after its last accepted event "
                    + Instant.ofEpochMilli(latest));
        }
        if (latest - eventTimeMs > lateness.allowedMs()) {
            throw new InvalidEventException(Reason.LATE, event + " is " + (latest - eventTimeMs) + " ms behind its "
                    + "latest event " + Instant.ofEpochMilli(latest) + ", more than carrycast.lateness.allowed.ms="
                    + lateness.allowedMs());
        }
        if (state.isRecent(eventTimeMs, digest)) {
            return new Added(state, List.of(), true);
        }
        boolean recentComplete = state.recentTimes().length < lateness.maxEvents();
        if (!recentComplete && eventTimeMs < state.recentTimes()[0]) {
            throw new InvalidEventException(Reason.LATE, event + " is older than the key's "
                    + state.recentTimes().length + " latest events kept to recognise a redelivery "
                    + "(carrycast.lateness.history.max.events=" + lateness.maxEvents() + ")");
        }
        long start = bucketStart(eventTimeMs);
        if (!state.isOpen() || start != state.openStartMs()) {
            return revise(key, state, eventTimeMs, values, digest);
        }
        if (state.firstEventTimeMs() == Long.MIN_VALUE) {
            throw new InvalidEventException(Reason.LATE, event + " falls into the open bucket of a key stored by an "
                    + "older version, which kept no first event time for it");
        }
        double[] running = state.running().clone();
        for (int i = 0; i < aggregates.length; i++) {
            running[i] = accumulateLate(aggregates[i], running[i], values[i], eventTimeMs, state.firstEventTimeMs(),
                    latest);
        }
        Recent recent = keepRecent(state, eventTimeMs, digest, latest);
        OpenBucket next = new OpenBucket(state.lastSteppedStartMs(), state.openStartMs(), state.openEndMs(),
                state.eventCount() + 1, Math.min(state.firstEventTimeMs(), eventTimeMs), latest,
                state.lastEventDigest(), state.stepped(), running, recent.times(), recent.digests(),
                keptWithin(state.kept(), latest));
        return new Added(next, List.of(), false);
    }

    /**
     * A running aggregate with an event that is not after the bucket's last one: events at the same time keep
     * their arrival order, as a stable sort by time would, so a {@code last} takes it only at the last's time.
     */
    private static double accumulateLate(Aggregate aggregate, double running, double value, long eventTimeMs,
                                         long firstEventTimeMs, long lastEventTimeMs) {
        return switch (aggregate) {
            case MEAN, SUM -> running + value;
            case MIN -> Math.min(running, value);
            case MAX -> Math.max(running, value);
            case FIRST -> eventTimeMs < firstEventTimeMs ? value : running;
            case LAST -> eventTimeMs >= lastEventTimeMs ? value : running;
            case COUNT -> running + 1;
        };
    }

    /**
     * A late event for a bucket before the key's open one: the kept stepped bucket it belongs to takes it (or,
     * for a bucket that was empty, a new one holds it), and every step after the bucket before it is recomputed.
     */
    private Added revise(String key, OpenBucket state, long eventTimeMs, double[] values, long digest) {
        OpenBucket.Kept kept = state.kept();
        long start = bucketStart(eventTimeMs);
        if (kept == null || start <= kept.predecessorStartMs()) {
            throw new InvalidEventException(Reason.LATE, "event time " + Instant.ofEpochMilli(eventTimeMs)
                    + " of key '" + key + "' falls into the bucket starting " + Instant.ofEpochMilli(start)
                    + ", already stepped and " + (kept == null ? "not kept (stored before stepped buckets were kept)"
                    : "older than the stepped buckets the key keeps (from " + Instant.ofEpochMilli(
                    kept.predecessorStartMs()) + ", carrycast.lateness.allowed.ms and "
                    + "carrycast.lateness.history.max.events)"));
        }
        List<OpenBucket.SteppedBucket> buckets = new ArrayList<>(kept.buckets());
        int at = 0;
        while (at < buckets.size() && buckets.get(at).startMs() < start) {
            at++;
        }
        if (at < buckets.size() && buckets.get(at).startMs() == start) {
            OpenBucket.SteppedBucket bucket = buckets.get(at);
            double[] running = bucket.running().clone();
            for (int i = 0; i < aggregates.length; i++) {
                running[i] = accumulateLate(aggregates[i], running[i], values[i], eventTimeMs,
                        bucket.firstEventTimeMs(), bucket.lastEventTimeMs());
            }
            buckets.set(at, new OpenBucket.SteppedBucket(start, bucket.eventCount() + 1,
                    Math.min(bucket.firstEventTimeMs(), eventTimeMs), Math.max(bucket.lastEventTimeMs(), eventTimeMs),
                    running));
        } else {
            double[] running = new double[aggregates.length];
            for (int i = 0; i < aggregates.length; i++) {
                running[i] = accumulate(aggregates[i], 0, values[i], true);
            }
            buckets.add(at, new OpenBucket.SteppedBucket(start, 1, eventTimeMs, eventTimeMs, running));
        }
        long afterStart = at == 0 ? kept.predecessorStartMs() : buckets.get(at - 1).startMs();
        double[] previous = at == 0 ? kept.predecessorValues() : valuesOf(buckets.get(at - 1));
        long previousStart = afterStart;
        List<Step> steps = new ArrayList<>();
        for (int i = at; i < buckets.size(); i++) {
            OpenBucket.SteppedBucket bucket = buckets.get(i);
            steps.addAll(stepsOf(previousStart, previous, bucket.startMs(), bucket.eventCount(), bucket.running()));
            previousStart = bucket.startMs();
            previous = valuesOf(bucket);
        }
        long latest = Math.max(state.lastEventTimeMs(), eventTimeMs);
        Recent recent = keepRecent(state, eventTimeMs, digest, latest);
        OpenBucket next = new OpenBucket(previousStart, state.openStartMs(), state.openEndMs(), state.eventCount(),
                state.firstEventTimeMs(), latest, eventTimeMs > state.lastEventTimeMs() ? digest
                : state.lastEventDigest(), previous, state.running(), recent.times(), recent.digests(),
                keptWithin(new OpenBucket.Kept(kept.predecessorStartMs(), kept.predecessorValues(), buckets), latest));
        return new Added(next, List.of(), false, new Revision(afterStart, steps));
    }

    /**
     * The kept stepped buckets a late event can still reach from {@code latestMs}: those ending after the allowed
     * lateness before it, at most {@code carrycast.lateness.history.max.events}; the last one let go becomes the
     * predecessor.
     */
    private OpenBucket.Kept keptWithin(OpenBucket.Kept kept, long latestMs) {
        if (kept == null || kept.buckets().isEmpty()) {
            return kept;
        }
        List<OpenBucket.SteppedBucket> buckets = kept.buckets();
        long horizon = latestMs - lateness.allowedMs();
        int drop = 0;
        while (drop < buckets.size()) {
            long start = buckets.get(drop).startMs();
            // A bucket starting at or after the horizon ends after it: its end need not be computed.
            boolean reachable = start >= horizon || bucketEnd(start) > horizon;
            if (reachable && buckets.size() - drop <= lateness.maxEvents()) {
                break;
            }
            drop++;
        }
        if (drop == 0) {
            return kept;
        }
        OpenBucket.SteppedBucket predecessor = buckets.get(drop - 1);
        return new OpenBucket.Kept(predecessor.startMs(), valuesOf(predecessor),
                buckets.subList(drop, buckets.size()));
    }

    /** A key's recent events: their times, oldest first, and digests. */
    private record Recent(long[] times, long[] digests) {
        static final Recent NONE = new Recent(new long[0], new long[0]);
    }

    /**
     * The key's recent events with one more, in time order (after those at the same time): those within the
     * allowed lateness of the latest event, at most {@code maxEvents}. None without an allowed lateness.
     */
    private Recent keepRecent(OpenBucket bucket, long eventTimeMs, long digest, long latestMs) {
        if (!lateness.enabled()) {
            return Recent.NONE;
        }
        long[] times = bucket == null ? Recent.NONE.times() : bucket.recentTimes();
        long[] digests = bucket == null ? Recent.NONE.digests() : bucket.recentDigests();
        int insertAt = times.length;
        while (insertAt > 0 && times[insertAt - 1] > eventTimeMs) {
            insertAt--;
        }
        int from = 0;
        while (from < insertAt && latestMs - times[from] > lateness.allowedMs()) {
            from++;
        }
        int count = times.length - from + 1;
        int skip = Math.max(0, count - lateness.maxEvents());
        long[] keptTimes = new long[count - skip];
        long[] keptDigests = new long[count - skip];
        int k = 0;
        for (int i = from; i <= times.length; i++) {
            long time = i < insertAt ? times[i] : i == insertAt ? eventTimeMs : times[i - 1];
            long eventDigest = i < insertAt ? digests[i] : i == insertAt ? digest : digests[i - 1];
            if (i - from >= skip) {
                keptTimes[k] = time;
                keptDigests[k] = eventDigest;
                k++;
            }
        }
        return new Recent(keptTimes, keptDigests);
    }

    private static double accumulate(Aggregate aggregate, double running, double value, boolean first) {
        if (first) {
            return aggregate == Aggregate.COUNT ? 1 : value;
        }
        return switch (aggregate) {
            case MEAN, SUM -> running + value;
            case MIN -> Math.min(running, value);
            case MAX -> Math.max(running, value);
            case FIRST -> running;
            case LAST -> value;
            case COUNT -> running + 1;
        };
    }

    /**
     * Steps the key's open bucket: the empty buckets before it that are filled, then the bucket itself.
     *
     * @throws IllegalArgumentException when no bucket is open
     */
    public Closed close(OpenBucket state) {
        if (!state.isOpen()) {
            throw new IllegalArgumentException("no bucket is open: " + state);
        }
        List<Step> steps = stepsOf(state.lastSteppedStartMs(), state.stepped(), state.openStartMs(),
                state.eventCount(), state.running());
        double[] values = steps.get(steps.size() - 1).values();
        OpenBucket.Kept kept = null;
        if (lateness.enabled()) {
            kept = state.kept();
            OpenBucket.SteppedBucket stepped = new OpenBucket.SteppedBucket(state.openStartMs(), state.eventCount(),
                    state.firstEventTimeMs(), state.lastEventTimeMs(), state.running());
            if (kept == null || state.firstEventTimeMs() == Long.MIN_VALUE) {
                // Kept from here on: a bucket stored without its first event time cannot take a late event.
                kept = new OpenBucket.Kept(state.openStartMs(), values, List.of());
            } else {
                List<OpenBucket.SteppedBucket> buckets = new ArrayList<>(kept.buckets());
                buckets.add(stepped);
                kept = keptWithin(new OpenBucket.Kept(kept.predecessorStartMs(), kept.predecessorValues(), buckets),
                        state.lastEventTimeMs());
            }
        }
        OpenBucket next = new OpenBucket(state.openStartMs(), Long.MIN_VALUE, Long.MIN_VALUE, 0, Long.MIN_VALUE,
                state.lastEventTimeMs(), state.lastEventDigest(), values, new double[values.length],
                state.recentTimes(), state.recentDigests(), kept);
        return new Closed(next, steps);
    }

    /** A stepped bucket's aggregated values (a mean is its running sum over its events). */
    private double[] valuesOf(OpenBucket.SteppedBucket bucket) {
        return valuesOf(bucket.running(), bucket.eventCount());
    }

    private double[] valuesOf(double[] running, int events) {
        double[] values = new double[aggregates.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = aggregates[i] == Aggregate.MEAN ? running[i] / events : running[i];
        }
        return values;
    }

    /**
     * The steps of a bucket with {@code events} events and these running aggregates: the empty buckets since the
     * key's previous step that are filled, then the bucket itself.
     *
     * @param previousStartMs the start of the key's previous stepped bucket, {@link Long#MIN_VALUE} for none
     * @param previousValues  its aggregated values, which a {@code carry} fill repeats
     */
    private List<Step> stepsOf(long previousStartMs, double[] previousValues, long startMs, int events,
                               double[] running) {
        double[] values = valuesOf(running, events);
        List<Step> steps = new ArrayList<>(1);
        List<Long> empty = emptyBucketsToFill(previousStartMs, startMs);
        double[] fill = spec.empty() == Resample.Empty.CARRY ? previousValues : new double[values.length];
        for (long emptyStart : empty) {
            steps.add(new Step(emptyStart, extractor.extract(fill, emptyStart), fill, 0, 0));
        }
        steps.add(new Step(startMs, extractor.extract(values, startMs), values, events, empty.size()));
        return steps;
    }

    /** The starts of the empty buckets between the key's previous step and a bucket, when they are filled. */
    private List<Long> emptyBucketsToFill(long previousStartMs, long bucketStartMs) {
        if (spec.empty() == Resample.Empty.SKIP || previousStartMs == Long.MIN_VALUE) {
            return List.of();
        }
        List<Long> starts = new ArrayList<>();
        for (long start = bucketEnd(previousStartMs); start < bucketStartMs; start = bucketEnd(start)) {
            if (starts.size() == spec.maxFill()) {
                return List.of(); // a longer silence than the card fills: the gap policy decides
            }
            starts.add(start);
        }
        return starts;
    }
}
