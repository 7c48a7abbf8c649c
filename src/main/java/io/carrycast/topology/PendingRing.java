package io.carrycast.topology;

import io.carrycast.engine.ForecastEngine.Admitted;
import io.carrycast.state.PendingEvent;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Accepted events waiting for their key's next step in a micro-batch, held in the changelogged pending store
 * ({@link ForecastTopology#PENDING_STORE}). Kafka Streams commits the store with the input offsets
 * (atomically under exactly_once_v2), so an event whose offset is committed is never lost; after a restart
 * {@link #reload} reads back the events not yet stepped, to be stepped first.
 *
 * <p>The store is a ring: event n goes to slot n mod capacity, and one marker entry ({@link #STEPPED_BELOW})
 * says which sequences are already stepped. Marking a batch stepped thus writes one entry instead of deleting
 * a batch, and within a commit interval the record cache folds a slot's writes into one changelog record. The
 * waiting events are mirrored in memory in arrival order, each with what its admission read ({@link Admitted});
 * the ring does not own the store.
 */
final class PendingRing {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PendingRing.class);

    /** Store key of the marker, whose value (8 bytes, big-endian) is the first sequence not yet stepped. */
    static final long STEPPED_BELOW = -1L;

    /** Marks a key whose remaining reloaded events are all let go. */
    private static final long LET_GO = Long.MAX_VALUE;

    private final KeyValueStore<Long, byte[]> store;
    private final int capacity;
    private final List<Admitted> waiting = new ArrayList<>();
    private final Map<String, Admitted> lastByKey = new HashMap<>();
    private long nextSequence;

    private PendingRing(KeyValueStore<Long, byte[]> store, int capacity) {
        this.store = store;
        this.capacity = capacity;
    }

    /** The ring over {@code store}, holding the events accepted but not stepped when the task last stopped. */
    static PendingRing reload(KeyValueStore<Long, byte[]> store, int capacity) {
        PendingRing ring = new PendingRing(store, capacity);
        byte[] marker = store.get(STEPPED_BELOW);
        long steppedBelow = marker == null ? 0 : ByteBuffer.wrap(marker).getLong();
        ring.nextSequence = steppedBelow;
        try (KeyValueIterator<Long, byte[]> stored = store.all()) {
            while (stored.hasNext()) {
                KeyValue<Long, byte[]> entry = stored.next();
                if (entry.key == STEPPED_BELOW) {
                    continue;
                }
                PendingEvent event = PendingEvent.decode(entry.value);
                if (event.sequence() >= steppedBelow) {
                    ring.waiting.add(Admitted.of(event));
                    ring.nextSequence = Math.max(ring.nextSequence, event.sequence() + 1);
                }
            }
        }
        ring.waiting.sort(Comparator.comparingLong(admitted -> admitted.event().sequence()));
        ring.waiting.forEach(admitted -> ring.lastByKey.put(admitted.event().key(), admitted));
        return ring;
    }

    /**
     * Lets go of the reloaded events that do not follow on from their key's stored state, logs how many, and
     * returns them. Under at_least_once each store is restored from its own changelog, so after a crash this
     * ring can be ahead of the state store: it may hold an event admitted after the last commit, following one
     * whose step never reached the state's changelog. Stepped from the state as stored, it would skip that step; let go, it
     * is read again from the input, with every event since the last commit, and admitted again in order. An
     * event the state has already stepped is let go too. Under exactly_once_v2 the stores and the input offsets
     * commit together, so every reloaded event follows on and nothing is let go.
     *
     * @param steppedUpTo the time of the last event the key's stored state stepped; {@link Long#MIN_VALUE} for
     *                    a key with no stored state
     */
    List<PendingEvent> letGoOfEventsAheadOfState(ToLongFunction<String> steppedUpTo) {
        Map<String, Long> followed = new HashMap<>();
        List<Admitted> kept = new ArrayList<>(waiting.size());
        List<PendingEvent> letGo = new ArrayList<>();
        for (Admitted admitted : waiting) {
            PendingEvent event = admitted.event();
            long previous = followed.computeIfAbsent(event.key(), steppedUpTo::applyAsLong);
            boolean followsOn = previous != LET_GO && event.eventTimeMs() > previous
                    && (event.previousTimeMs() == PendingEvent.PREVIOUS_UNKNOWN || event.previousTimeMs() == previous);
            if (followsOn) {
                kept.add(admitted);
                followed.put(event.key(), event.eventTimeMs());
            } else {
                letGo.add(event);
                if (event.eventTimeMs() > previous) {
                    // The key's later events followed this one: they are read again from the input too.
                    followed.put(event.key(), LET_GO);
                }
            }
        }
        if (!letGo.isEmpty()) {
            LOG.warn("{} reloaded micro-batch event(s) do not follow on from their key's stored state (the "
                    + "stores were restored to different points after an unclean stop, or already stepped): "
                    + "let go, to be read again from the input; the first is key '{}' at {}", letGo.size(),
                    letGo.get(0).key(), Instant.ofEpochMilli(letGo.get(0).eventTimeMs()));
            waiting.clear();
            waiting.addAll(kept);
            lastByKey.clear();
            kept.forEach(admitted -> lastByKey.put(admitted.event().key(), admitted));
        }
        return letGo;
    }

    /** The sequence the next added event must carry. */
    long nextSequence() {
        return nextSequence;
    }

    /** The key's last waiting event, or null when none of its events waits. */
    PendingEvent lastOf(String key) {
        Admitted last = lastByKey.get(key);
        return last == null ? null : last.event();
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    /**
     * Whether the next event's slot still holds a waiting event: the ring spans as many sequences as it has
     * slots (it holds as many events, unless some were let go after a restart). More than that only after a
     * restart under a smaller capacity.
     */
    boolean isFull() {
        return !waiting.isEmpty() && nextSequence - waiting.get(0).event().sequence() >= capacity;
    }

    /** Stores the event in its slot; it must carry {@link #nextSequence()} and the ring must not be full. */
    void add(Admitted admitted) {
        PendingEvent event = admitted.event();
        if (event.sequence() != nextSequence || isFull()) {
            throw new IllegalStateException("pending event " + event.sequence() + " added to a ring expecting "
                    + nextSequence + " with " + waiting.size() + " of " + capacity + " slots taken");
        }
        store.put(event.sequence() % capacity, event.encode());
        nextSequence++;
        waiting.add(admitted);
        lastByKey.put(event.key(), admitted);
    }

    /**
     * The waiting events in rounds: round r holds the r-th waiting event of every key that has one, so a
     * round's keys are distinct and each key's events stay in order across rounds.
     */
    List<List<Admitted>> rounds() {
        // With as many keys as events (the usual case with many keys) the whole ring is one round.
        if (lastByKey.size() == waiting.size()) {
            return List.of(Collections.unmodifiableList(waiting));
        }
        Map<String, Integer> seen = new HashMap<>();
        List<List<Admitted>> rounds = new ArrayList<>();
        for (Admitted admitted : waiting) {
            int round = seen.merge(admitted.event().key(), 1, Integer::sum) - 1;
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(admitted);
        }
        return rounds;
    }

    /**
     * Keeps only the waiting events themselves, as if reloaded: after a failed step, each is stepped from what its
     * key has stored then, and is not scored.
     */
    void forgetAdmissions() {
        waiting.replaceAll(admitted -> Admitted.of(admitted.event()));
        waiting.forEach(admitted -> lastByKey.put(admitted.event().key(), admitted));
    }

    /** Marks every waiting event stepped: one write of the marker; the slots are reused later. */
    void markStepped() {
        store.put(STEPPED_BELOW, ByteBuffer.allocate(Long.BYTES).putLong(nextSequence).array());
        waiting.clear();
        lastByKey.clear();
    }
}
