package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.accuracy.Scorer;
import io.carrycast.engine.ForecastEngine.Admitted;
import io.carrycast.state.PendingEvent;
import io.carrycast.state.StatePreparation;
import io.carrycast.state.StateRecord;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pending ring over a real (in-memory) key-value store, as a task would see it across restarts. */
class PendingRingTest {

    private KeyValueStore<Long, byte[]> store;

    @BeforeEach
    void openStore() {
        store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(ForecastTopology.PENDING_STORE),
                Serdes.Long(), Serdes.ByteArray()).withLoggingDisabled().build();
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
    }

    private static Admitted event(long sequence, String key, long timeMs) {
        return event(sequence, key, timeMs, PendingEvent.PREVIOUS_UNKNOWN);
    }

    private static Admitted event(long sequence, String key, long timeMs, long previousTimeMs) {
        return Admitted.of(new PendingEvent(sequence, key, timeMs, new float[] {timeMs, -timeMs},
                StatePreparation.CONTINUE, previousTimeMs));
    }

    private static void addNext(PendingRing ring, String key, long timeMs) {
        ring.add(event(ring.nextSequence(), key, timeMs));
    }

    @Test
    void shouldStoreEventNInSlotNModCapacityAndMarkSteppedWithOneWrite() {
        PendingRing ring = PendingRing.reload(store, 3);
        addNext(ring, "a", 1);
        addNext(ring, "b", 1);
        ring.markStepped();
        addNext(ring, "a", 2);
        addNext(ring, "b", 2);

        assertEquals(List.of(PendingRing.STEPPED_BELOW, 0L, 1L, 2L), keys(), "three slots and the marker");
        assertEquals(3L, PendingEvent.decode(store.get(0L)).sequence(), "slot 0 reused by sequence 3");
        assertEquals(2L, PendingEvent.decode(store.get(2L)).sequence());
        assertArrayEquals(ByteBuffer.allocate(8).putLong(2L).array(), store.get(PendingRing.STEPPED_BELOW),
                "marker: first sequence not stepped, 8 bytes big-endian");
    }

    @Test
    void shouldReadBackOnlyTheEventsNotSteppedInArrivalOrder() {
        PendingRing before = PendingRing.reload(store, 4);
        addNext(before, "a", 1);
        addNext(before, "b", 1);
        addNext(before, "a", 2);
        before.markStepped();
        addNext(before, "b", 2);
        addNext(before, "a", 3);
        addNext(before, "c", 1);

        PendingRing after = PendingRing.reload(store, 4);

        assertEquals(6L, after.nextSequence());
        assertEquals(List.of(List.of(3L, 4L, 5L)), sequences(after.rounds()));
        assertEquals(3L, after.lastOf("a").eventTimeMs());
        assertNull(after.lastOf("d"));
        assertFalse(after.isFull());
    }

    @Test
    void shouldLetGoOfReloadedEventsThatDoNotFollowOnFromTheirKeysStoredState() {
        PendingRing before = PendingRing.reload(store, 8);
        before.add(event(0, "a", 5, 4));
        before.add(event(1, "b", 5, 4)); // b's state was restored at 2: the step of b@4 never reached it
        before.add(event(2, "a", 6, 5));
        before.add(event(3, "b", 6, 5)); // follows b@5, let go with it
        before.add(event(4, "c", 3, 2)); // c's state has stepped it already
        before.add(event(5, "c", 7, 3));
        before.add(event(6, "d", 1, Long.MIN_VALUE)); // d's first event; d has no state yet

        PendingRing after = PendingRing.reload(store, 8);
        List<PendingEvent> letGo = after.letGoOfEventsAheadOfState(
                key -> java.util.Map.of("a", 4L, "b", 2L, "c", 3L).getOrDefault(key, Long.MIN_VALUE));

        assertEquals(List.of(1L, 3L, 4L), letGo.stream().map(PendingEvent::sequence).toList());
        assertEquals(List.of(List.of(0L, 5L, 6L), List.of(2L)), sequences(after.rounds()));
        assertEquals(6L, after.lastOf("a").eventTimeMs());
        assertNull(after.lastOf("b"), "b's events are read again from the input, admitted after its state");
        assertEquals(7L, after.nextSequence(), "the slots of events let go are reused after the next step");
    }

    @Test
    void shouldReportFullWhenTheNextSlotStillHoldsAWaitingEventAfterEventsWereLetGo() {
        PendingRing before = PendingRing.reload(store, 4);
        before.add(event(0, "a", 5, 4));
        before.add(event(1, "b", 5, 4));
        before.add(event(2, "a", 6, 5));
        PendingRing after = PendingRing.reload(store, 4);
        after.letGoOfEventsAheadOfState(key -> key.equals("a") ? 4L : 2L);
        after.add(event(3, "c", 1, Long.MIN_VALUE));

        assertTrue(after.isFull(), "sequence 4 would take slot 0, which still holds a@5 (3 events wait)");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> after.add(event(4, "c", 2, 1)));
        assertEquals("pending event 4 added to a ring expecting 4 with 3 of 4 slots taken", e.getMessage());
        after.markStepped();
        assertFalse(after.isFull());
    }

    @Test
    void shouldSplitSeveralEventsOfOneKeyIntoRoundsOfDistinctKeysInOrder() {
        PendingRing ring = PendingRing.reload(store, 8);
        addNext(ring, "a", 1);
        addNext(ring, "a", 2);
        addNext(ring, "b", 1);
        addNext(ring, "a", 3);
        addNext(ring, "b", 2);

        assertEquals(List.of(List.of(0L, 2L), List.of(1L, 4L), List.of(3L)), sequences(ring.rounds()));
        assertEquals(3L, ring.lastOf("a").eventTimeMs());
    }

    @Test
    void shouldKeepOnlyTheWaitingEventsThemselvesWhenTheirAdmissionsAreForgotten() {
        PendingRing ring = PendingRing.reload(store, 4);
        PendingEvent event = event(0, "a", 5).event();
        ring.add(new Admitted(event, new StateRecord(null, null, null, null),
                new Scorer.Actuals(List.of("x"), new double[] {1.5}), false));

        ring.forgetAdmissions();

        Admitted left = ring.rounds().get(0).get(0);
        assertSame(event, left.event());
        assertNull(left.stored(), "its step reads what its key has stored then");
        assertNull(left.actuals(), "and scores nothing");
        assertSame(event, ring.lastOf("a"));
    }

    @Test
    void shouldReportFullWhenEverySlotHoldsAWaitingEventAndRefuseOneMore() {
        PendingRing ring = PendingRing.reload(store, 2);
        addNext(ring, "a", 1);
        assertFalse(ring.isFull());
        addNext(ring, "b", 1);
        assertTrue(ring.isFull());

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> addNext(ring, "c", 1));
        assertEquals("pending event 2 added to a ring expecting 2 with 2 of 2 slots taken", e.getMessage());
    }

    @Test
    void shouldReadBackMoreEventsThanSlotsAfterARestartWithASmallerCapacity() {
        PendingRing large = PendingRing.reload(store, 4);
        for (String key : List.of("a", "b", "c")) {
            addNext(large, key, 1);
        }

        PendingRing small = PendingRing.reload(store, 2);

        assertTrue(small.isFull(), "to be stepped before a slot is reused");
        assertEquals(List.of(List.of(0L, 1L, 2L)), sequences(small.rounds()));
        small.markStepped();
        assertTrue(small.isEmpty());
        assertEquals(3L, small.nextSequence());
    }

    private List<Long> keys() {
        List<Long> keys = new java.util.ArrayList<>();
        try (var all = store.all()) {
            all.forEachRemaining(entry -> keys.add(entry.key));
        }
        keys.sort(Long::compare);
        return keys;
    }

    private static List<List<Long>> sequences(List<List<Admitted>> rounds) {
        return rounds.stream().map(round -> round.stream().map(admitted -> admitted.event().sequence()).toList())
                .toList();
    }
}
