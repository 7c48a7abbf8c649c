package io.carrycast.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.forecast.LiveModel;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import io.carrycast.state.PendingEvent;
import io.carrycast.state.StatePreparation;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Forecasts per event, keeping each key's state, window and latest forecast in state stores. Forwards
 * each forecast as its JSON ({@link ForecastJson}), serialized once for the topic and the latest store.
 *
 * <p><b>Acceptance.</b> Each event is checked and turned into features first. An event that cannot be
 * used raises {@link InvalidEventException} before anything is stored, so the key's state and window are
 * untouched and the processing exception handler routes it to the dead-letter topic. Per key, event time
 * must increase: an exact redelivery of the key's last event (same time, same features) is dropped and
 * counted; any other event not after the key's last one is refused as late. After a silence longer than
 * the maximum gap the key's state is reset, or re-primed from its window; when a new model with another
 * state layout has taken over, the state is rebuilt from the window (refused as incompatible without one).
 *
 * <p><b>Micro-batching.</b> With a maximum batch of 1 the event is stepped at once. Otherwise accepted
 * events wait in the changelogged pending store until the batch is full or the maximum wait has passed
 * (a wall-clock punctuation), and are then stepped together, one model call per round: a round holds at
 * most one event per key, so each key's events are stepped in order and each step sees the state the
 * previous one stored. Kafka Streams commits the pending store with the input offsets (atomically under
 * exactly_once_v2), so an event whose offset is committed is never lost; after a crash the pending events
 * are read back in {@link #init} and stepped first.
 *
 * <p>The pending store is a ring: event n goes to slot n mod maxBatch, and one marker entry says which
 * sequences are already stepped. A flush thus writes one entry instead of deleting a batch, and within a
 * commit interval the record cache folds a slot's writes into one changelog record.
 */
final class ForecastProcessor implements Processor<String, byte[], String, byte[]> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ForecastProcessor.class);

    /** Settings the processor needs beyond the model. */
    record Settings(EventReader reader, int maxBatch, Duration maxWait, long maxGapMs, boolean reprimeAfterGap,
                    boolean keepLatest) {
    }

    private final LiveModel live;
    private final Settings settings;
    private final CarrycastMetrics metrics;

    private Forecaster model;
    private FeatureExtractor extractor;
    private ProcessorContext<String, byte[]> context;
    private KeyValueStore<String, byte[]> stateStore;
    private KeyValueStore<String, byte[]> windowStore;
    private KeyValueStore<String, byte[]> latestStore;
    private KeyValueStore<Long, byte[]> pendingStore;

    /** Pending-store key of the marker: every sequence below its value has been stepped. */
    static final long STEPPED_BELOW = -1L;

    /** The pending store's live entries in arrival order, mirrored in memory. */
    private final List<PendingEvent> pending = new ArrayList<>();
    private final Map<String, PendingEvent> lastPending = new HashMap<>();
    /**
     * The stored state each key had when its first pending event was accepted, so the step does not read
     * and decode it again. Only a key's first pending event may use it: later ones follow its step.
     */
    private final Map<String, KeyState> stateAtAccept = new HashMap<>();
    private long nextSequence;

    ForecastProcessor(LiveModel live, Settings settings, CarrycastMetrics metrics) {
        this.live = live;
        this.settings = settings;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        this.context = context;
        this.model = live.current();
        this.extractor = new FeatureExtractor(model.card());
        this.stateStore = context.getStateStore(ForecastTopology.STATE_STORE);
        this.windowStore = context.getStateStore(ForecastTopology.WINDOW_STORE);
        this.latestStore = settings.keepLatest() ? context.getStateStore(ForecastTopology.LATEST_STORE) : null;
        if (isBatching()) {
            this.pendingStore = context.getStateStore(ForecastTopology.PENDING_STORE);
            reloadPending();
            context.schedule(settings.maxWait(), PunctuationType.WALL_CLOCK_TIME, now -> {
                followModelSwap();
                flush();
            });
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        metrics.eventIn();
        followModelSwap();
        PendingEvent event = accept(record);
        if (event == null) {
            return;
        }
        if (!isBatching()) {
            step(List.of(event));
            stateAtAccept.clear();
            return;
        }
        if (pending.size() >= settings.maxBatch()) {
            // Only events read back after a restart (or under a smaller batch limit) get here: step them
            // before their ring slots are reused.
            flush();
        }
        pendingStore.put(event.sequence() % settings.maxBatch(), event.encode());
        nextSequence++;
        pending.add(event);
        lastPending.put(event.key(), event);
        if (pending.size() >= settings.maxBatch()) {
            flush();
        }
    }

    /** Events accepted under the old model are stepped by it before the new one takes over. */
    private void followModelSwap() {
        Forecaster latest = live.current();
        if (latest != model) {
            flush();
            model = latest;
            extractor = new FeatureExtractor(model.card());
        }
    }

    /**
     * Checks the event against its key's history and turns it into features; nothing is stored yet.
     *
     * @return the event to step, or null for an exact redelivery of the key's last event
     */
    private PendingEvent accept(Record<String, byte[]> record) {
        String key = record.key();
        if (key == null || key.isEmpty()) {
            throw new InvalidEventException(Reason.NO_KEY, "event has " + (key == null ? "no" : "an empty")
                    + " record key; the record key is the series id");
        }
        ObjectNode event = settings.reader().parse(record.value());
        long eventTime = settings.reader().eventTime(event, record.timestamp());
        float[] features = extractor.extract(event, eventTime);

        PendingEvent previous = lastPending.get(key);
        KeyState state = previous == null ? storedState(key) : null;
        long lastTime = previous != null ? previous.eventTimeMs() : state != null ? state.lastEventTimeMs() : Long.MIN_VALUE;
        if (eventTime <= lastTime) {
            long lastDigest = previous != null ? KeyState.digest(previous.eventTimeMs(), previous.features())
                    : state.lastEventDigest();
            if (eventTime == lastTime && KeyState.digest(eventTime, features) == lastDigest) {
                metrics.duplicate();
                return null;
            }
            throw new InvalidEventException(Reason.LATE, "event time " + Instant.ofEpochMilli(eventTime) + " of key '"
                    + key + "' is not after its last accepted event " + Instant.ofEpochMilli(lastTime));
        }
        StatePreparation preparation = preparation(key, state, lastTime, eventTime);
        if (state != null) {
            stateAtAccept.put(key, state);
        }
        return new PendingEvent(nextSequence, key, eventTime, features, preparation);
    }

    private StatePreparation preparation(String key, KeyState state, long lastTime, long eventTime) {
        if (state != null && !model.fitsState(state)) {
            FeatureWindow window = storedWindow(key);
            if (window == null || window.size() == 0) {
                throw new InvalidEventException(Reason.INCOMPATIBLE_STATE, "stored state of key '" + key
                        + "' was written by model " + Long.toHexString(state.modelFingerprint()) + " with "
                        + state.tensors().length + " tensor(s) of " + (state.tensors().length == 0 ? 0
                        : state.tensors()[0].length) + " floats, which the current model cannot continue, and no "
                        + "window is stored to rebuild it from (the model card's window is 0)");
            }
            return StatePreparation.REBUILD_FOR_MODEL;
        }
        boolean silentTooLong = settings.maxGapMs() > 0 && lastTime != Long.MIN_VALUE
                && eventTime - lastTime > settings.maxGapMs();
        if (!silentTooLong) {
            return StatePreparation.CONTINUE;
        }
        return settings.reprimeAfterGap() && model.card().keepsWindow()
                ? StatePreparation.REPRIME_AFTER_GAP : StatePreparation.RESET_AFTER_GAP;
    }

    private void flush() {
        if (pending.isEmpty()) {
            return;
        }
        // With as many keys as events (the usual case with many keys) the whole batch is one round.
        for (List<PendingEvent> round : lastPending.size() == pending.size() ? List.of(pending) : rounds(pending)) {
            for (int from = 0; from < round.size(); from += settings.maxBatch()) {
                step(round.subList(from, Math.min(round.size(), from + settings.maxBatch())));
            }
        }
        if (isBatching()) {
            pendingStore.put(STEPPED_BELOW, Longs.encode(nextSequence));
        }
        pending.clear();
        lastPending.clear();
        stateAtAccept.clear();
    }

    /** Round r holds the r-th pending event of every key that has one: distinct keys, order kept per key. */
    private static List<List<PendingEvent>> rounds(List<PendingEvent> events) {
        Map<String, Integer> seen = new HashMap<>();
        List<List<PendingEvent>> rounds = new ArrayList<>();
        for (PendingEvent event : events) {
            int round = seen.merge(event.key(), 1, Integer::sum) - 1;
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(event);
        }
        return rounds;
    }

    /** One model call for events of distinct keys: read their state, step, store, forward. */
    private void step(List<PendingEvent> candidates) {
        List<PendingEvent> events = new ArrayList<>(candidates.size());
        List<Forecaster.Request> requests = new ArrayList<>(candidates.size());
        for (PendingEvent event : candidates) {
            KeyState accepted = stateAtAccept.remove(event.key());
            KeyState state = accepted != null ? accepted : storedState(event.key());
            if (state != null && state.lastEventTimeMs() >= event.eventTimeMs()) {
                // Already stepped: the pending store and the state disagree (they should not). Stepping it
                // again would corrupt the key's state, so it is dropped like a redelivery.
                LOG.warn("Pending event of key '{}' at {} was already stepped (state at {}); dropped", event.key(),
                        Instant.ofEpochMilli(event.eventTimeMs()), Instant.ofEpochMilli(state.lastEventTimeMs()));
                metrics.duplicate();
                continue;
            }
            events.add(event);
            boolean needsWindow = model.card().keepsWindow() || event.preparation() != StatePreparation.CONTINUE;
            requests.add(new Forecaster.Request(event.key(), event.eventTimeMs(), event.features(), state,
                    needsWindow ? storedWindow(event.key()) : null, event.preparation()));
        }
        if (events.isEmpty()) {
            return;
        }
        long started = System.nanoTime();
        List<Forecaster.Outcome> outcomes = model.process(requests);
        metrics.modelCall(events.size(), System.nanoTime() - started);
        for (int i = 0; i < events.size(); i++) {
            PendingEvent event = events.get(i);
            Forecaster.Outcome outcome = outcomes.get(i);
            stateStore.put(event.key(), outcome.state().encode());
            if (outcome.window() != null) {
                windowStore.put(event.key(), outcome.window().encode());
            }
            if (event.preparation() != StatePreparation.CONTINUE) {
                metrics.stateRebuilt(event.preparation());
            }
            Forecast forecast = outcome.forecast();
            if (forecast != null) {
                // Written once: the same JSON goes to the output topic and to the latest-forecast store.
                byte[] json = ForecastJson.write(forecast);
                if (latestStore != null) {
                    latestStore.put(event.key(), json);
                }
                context.forward(new Record<>(event.key(), json, event.eventTimeMs()));
                metrics.forecastOut(event.eventTimeMs());
            }
        }
    }

    /** Reads back the events accepted but not yet stepped when the task last stopped. */
    private void reloadPending() {
        byte[] marker = pendingStore.get(STEPPED_BELOW);
        long steppedBelow = marker == null ? 0 : Longs.decode(marker);
        nextSequence = steppedBelow;
        try (KeyValueIterator<Long, byte[]> stored = pendingStore.all()) {
            while (stored.hasNext()) {
                KeyValue<Long, byte[]> entry = stored.next();
                if (entry.key == STEPPED_BELOW) {
                    continue;
                }
                PendingEvent event = PendingEvent.decode(entry.value);
                if (event.sequence() >= steppedBelow) {
                    pending.add(event);
                    nextSequence = Math.max(nextSequence, event.sequence() + 1);
                }
            }
        }
        pending.sort(java.util.Comparator.comparingLong(PendingEvent::sequence));
        pending.forEach(event -> lastPending.put(event.key(), event));
    }

    /** The marker's 8-byte encoding. */
    private static final class Longs {
        static byte[] encode(long value) {
            return java.nio.ByteBuffer.allocate(Long.BYTES).putLong(value).array();
        }

        static long decode(byte[] bytes) {
            return java.nio.ByteBuffer.wrap(bytes).getLong();
        }
    }

    private boolean isBatching() {
        return settings.maxBatch() > 1;
    }

    private KeyState storedState(String key) {
        byte[] bytes = stateStore.get(key);
        return bytes == null ? null : KeyState.decode(bytes);
    }

    private FeatureWindow storedWindow(String key) {
        byte[] bytes = windowStore.get(key);
        return bytes == null ? null : FeatureWindow.decode(bytes);
    }
}
