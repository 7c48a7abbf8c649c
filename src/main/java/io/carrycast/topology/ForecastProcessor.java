package io.carrycast.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import io.carrycast.state.PendingEvent;
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
 * Forecasts per event. Each event is checked and turned into features first; an event that cannot be
 * used raises {@link InvalidEventException} before anything is stored, so the key's state and window
 * are untouched and the processing exception handler routes the event to the dead-letter topic.
 *
 * <p>With a maximum batch of 1 the event is stepped at once. Otherwise accepted events wait in the
 * changelogged pending store until the batch is full or the maximum wait has passed (a wall-clock
 * punctuation), and are then stepped together, one model call per round: a round holds at most one event
 * per key, so each key's events are stepped in order and each step sees the state the previous one
 * stored. Kafka Streams commits the pending store with the input offsets (atomically under
 * exactly_once_v2), so an event whose offset is committed is never lost; after a crash the pending events
 * are read back in {@link #init}.
 */
final class ForecastProcessor implements Processor<String, byte[], String, Forecast> {

    private final Forecaster forecaster;
    private final EventReader reader;
    private final FeatureExtractor extractor;
    private final boolean keepsWindow;
    private final int maxBatch;
    private final Duration maxWait;

    private ProcessorContext<String, Forecast> context;
    private KeyValueStore<String, byte[]> stateStore;
    private KeyValueStore<String, byte[]> windowStore;
    private KeyValueStore<Long, byte[]> pendingStore;

    /** The pending store's contents in arrival order, mirrored in memory. */
    private final List<PendingEvent> pending = new ArrayList<>();
    private final List<Long> pendingSequences = new ArrayList<>();
    private final Map<String, Long> lastPendingTime = new HashMap<>();
    /**
     * The stored state each key had when its first pending event was accepted, so the step does not read
     * and decode it again. Only a key's first pending event may use it: later ones follow its step.
     */
    private final Map<String, KeyState> stateAtAccept = new HashMap<>();
    private long nextSequence;

    ForecastProcessor(Forecaster forecaster, EventReader reader, int maxBatch, Duration maxWait) {
        this.forecaster = forecaster;
        this.reader = reader;
        this.extractor = new FeatureExtractor(forecaster.card());
        this.keepsWindow = forecaster.card().keepsWindow();
        this.maxBatch = maxBatch;
        this.maxWait = maxWait;
    }

    @Override
    public void init(ProcessorContext<String, Forecast> context) {
        this.context = context;
        this.stateStore = context.getStateStore(ForecastTopology.STATE_STORE);
        this.windowStore = keepsWindow ? context.getStateStore(ForecastTopology.WINDOW_STORE) : null;
        if (isBatching()) {
            this.pendingStore = context.getStateStore(ForecastTopology.PENDING_STORE);
            reloadPending();
            context.schedule(maxWait, PunctuationType.WALL_CLOCK_TIME, now -> flush());
        }
    }

    @Override
    public void process(Record<String, byte[]> record) {
        PendingEvent event = accept(record);
        if (!isBatching()) {
            step(List.of(event));
            stateAtAccept.clear();
            return;
        }
        pendingStore.put(nextSequence, event.encode());
        pendingSequences.add(nextSequence++);
        pending.add(event);
        lastPendingTime.put(event.key(), event.eventTimeMs());
        if (pending.size() >= maxBatch) {
            flush();
        }
    }

    /** Checks the event against its key's history and turns it into features; nothing is stored yet. */
    private PendingEvent accept(Record<String, byte[]> record) {
        String key = record.key();
        if (key == null || key.isEmpty()) {
            throw new InvalidEventException(Reason.NO_KEY, "event has " + (key == null ? "no" : "an empty")
                    + " record key; the record key is the series id");
        }
        ObjectNode event = reader.parse(record.value());
        long eventTime = reader.eventTime(event, record.timestamp());
        float[] features = extractor.extract(event, eventTime);
        Long pendingTime = lastPendingTime.get(key);
        long lastTime;
        if (pendingTime != null) {
            lastTime = pendingTime;
        } else {
            KeyState state = storedState(key);
            lastTime = state == null ? Long.MIN_VALUE : state.lastEventTimeMs();
            if (state != null) {
                stateAtAccept.put(key, state);
            }
        }
        if (eventTime <= lastTime) {
            throw new InvalidEventException(Reason.LATE, "event time " + Instant.ofEpochMilli(eventTime) + " of key '"
                    + key + "' is not after its last accepted event " + Instant.ofEpochMilli(lastTime));
        }
        return new PendingEvent(key, eventTime, features);
    }

    private void flush() {
        if (pending.isEmpty()) {
            return;
        }
        for (List<PendingEvent> round : rounds(pending)) {
            for (int from = 0; from < round.size(); from += maxBatch) {
                step(round.subList(from, Math.min(round.size(), from + maxBatch)));
            }
        }
        pendingSequences.forEach(pendingStore::delete);
        pending.clear();
        pendingSequences.clear();
        lastPendingTime.clear();
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
    private void step(List<PendingEvent> events) {
        List<Forecaster.Request> requests = new ArrayList<>(events.size());
        for (PendingEvent event : events) {
            KeyState accepted = stateAtAccept.remove(event.key());
            requests.add(new Forecaster.Request(event.key(), event.eventTimeMs(), event.features(),
                    accepted != null ? accepted : storedState(event.key()),
                    keepsWindow ? storedWindow(event.key()) : null));
        }
        List<Forecaster.Outcome> outcomes = forecaster.process(requests);
        for (int i = 0; i < events.size(); i++) {
            PendingEvent event = events.get(i);
            Forecaster.Outcome outcome = outcomes.get(i);
            stateStore.put(event.key(), outcome.state().encode());
            if (outcome.window() != null) {
                windowStore.put(event.key(), outcome.window().encode());
            }
            if (outcome.forecast() != null) {
                context.forward(new Record<>(event.key(), outcome.forecast(), event.eventTimeMs()));
            }
        }
    }

    private void reloadPending() {
        try (KeyValueIterator<Long, byte[]> stored = pendingStore.all()) {
            while (stored.hasNext()) {
                KeyValue<Long, byte[]> entry = stored.next();
                PendingEvent event = PendingEvent.decode(entry.value);
                pending.add(event);
                pendingSequences.add(entry.key);
                lastPendingTime.put(event.key(), event.eventTimeMs());
                nextSequence = Math.max(nextSequence, entry.key + 1);
            }
        }
    }

    private boolean isBatching() {
        return maxBatch > 1;
    }

    private KeyState storedState(String key) {
        byte[] bytes = stateStore.get(key);
        if (bytes == null) {
            return null;
        }
        KeyState state = KeyState.decode(bytes);
        if (!forecaster.fitsState(state)) {
            throw new InvalidEventException(Reason.INCOMPATIBLE_STATE, "stored state of key '" + key
                    + "' was written by model " + Long.toHexString(state.modelFingerprint()) + " with "
                    + state.tensors().length + " tensor(s) of " + (state.tensors().length == 0 ? 0
                    : state.tensors()[0].length) + " floats, which the current model cannot continue");
        }
        return state;
    }

    private FeatureWindow storedWindow(String key) {
        byte[] bytes = windowStore.get(key);
        return bytes == null ? null : FeatureWindow.decode(bytes);
    }
}
