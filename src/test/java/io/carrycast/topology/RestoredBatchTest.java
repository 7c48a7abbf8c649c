package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.LiveModel;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.state.KeyState;
import io.carrycast.state.StateRecord;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.SyntheticEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * A task restarted on stores restored to different points, as at-least-once can leave them after a crash: the
 * micro-batch ring holds events of a key whose state lacks the step they followed. Those events are let go and
 * stepped again when the input delivers them again, so every forecast is stepped once, in order.
 */
class RestoredBatchTest {

    private static final Fixture FIXTURE = Fixture.load("lstm");

    private final MockProcessorContext<String, byte[]> context = new MockProcessorContext<>();
    private final KeyValueStore<String, byte[]> stateStore = store(Stores.inMemoryKeyValueStore(StoreNames.LIVE.state()),
            Serdes.String());
    private final KeyValueStore<Long, byte[]> pendingStore = store(Stores.inMemoryKeyValueStore(StoreNames.LIVE.pending()),
            Serdes.Long());

    private <K> KeyValueStore<K, byte[]> store(org.apache.kafka.streams.state.KeyValueBytesStoreSupplier supplier,
                                               org.apache.kafka.common.serialization.Serde<K> keys) {
        KeyValueStore<K, byte[]> store = Stores.keyValueStoreBuilder(supplier, keys, Serdes.ByteArray())
                .withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore((StateStore) store);
        return store;
    }

    @Test
    void shouldStepAgainFromTheStoredStateTheEventsTheRingHeldAheadOfIt() {
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(2, 5, 3);
        Map<String, List<Fixture.Event>> byKey = new TreeMap<>();
        events.forEach(event -> byKey.computeIfAbsent(event.key(), k -> new ArrayList<>()).add(event));
        String steady = byKey.keySet().stream().findFirst().orElseThrow();
        String behind = byKey.keySet().stream().skip(1).findFirst().orElseThrow();

        try (LiveModel model = LiveModel.open(FIXTURE.directory(), RunnerOptions.defaults(), m -> { })) {
            // Before the crash: three events of each key stepped, then the fourth and fifth waiting in the ring.
            ForecastProcessor before = processor(model);
            List<Fixture.Event> firstThree = events.stream().filter(e -> index(byKey, e) < 3).toList();
            firstThree.forEach(event -> process(before, event));
            punctuate();
            byte[] behindAfterTwo = stateAfter(model, byKey.get(behind).subList(0, 2));
            events.stream().filter(e -> index(byKey, e) >= 3).forEach(event -> process(before, event));
            context.resetForwards();

            // The state store comes back without the behind key's third step; the ring with its fourth and fifth.
            stateStore.put(behind, behindAfterTwo);

            ForecastProcessor after = processor(model);
            // The input is read again from the last commit: the behind key's events since its second.
            byKey.get(behind).subList(2, 5).forEach(event -> process(after, event));
            punctuate();
        }

        Map<String, List<Forecast>> forecasts = new TreeMap<>();
        context.forwarded().forEach(forward -> {
            Forecast forecast = ForecastJson.read(forward.record().value());
            forecasts.computeIfAbsent(forecast.key(), k -> new ArrayList<>()).add(forecast);
        });
        assertEquals(List.of(4L, 5L), steps(forecasts.get(steady)), "the steady key's waiting events, stepped once");
        assertEquals(List.of(3L, 4L, 5L), steps(forecasts.get(behind)),
                "the behind key's events read again, stepped once each from its stored state");
        for (String key : byKey.keySet()) {
            KeyState state = StateRecord.decode(stateStore.get(key)).state();
            assertEquals(5, state.steps(), key + ": every event stepped once");
            assertEquals(byKey.get(key).get(4).timeMs(), state.lastEventTimeMs());
        }
    }

    private ForecastProcessor processor(LiveModel model) {
        ForecastProcessor processor = new ForecastProcessor(model, new ForecastProcessor.Settings(
                new EventReader("time", TimestampFormat.of("iso"), Integer.MAX_VALUE), 64, Duration.ofMillis(20),
                Admission.GapRule.NONE, false, LateEvents.Bound.NONE, Duration.ZERO, StoreNames.LIVE, null,
                io.carrycast.accuracy.Intervals.NONE, LiveScoring.Forwards.NONE,
                null, Duration.ZERO, CarrycastConfig.LIGHT_LOAD_RECORDS, null), CarrycastMetrics.detached());
        processor.init(context);
        return processor;
    }

    private static void process(ForecastProcessor processor, Fixture.Event event) {
        processor.process(new Record<>(event.key(), event.bytes(), event.timeMs()));
    }

    /** The wall-clock punctuation the last processor scheduled: it steps the waiting events. */
    private void punctuate() {
        List<MockProcessorContext.CapturedPunctuator> punctuators = context.scheduledPunctuators();
        punctuators.get(punctuators.size() - 1).getPunctuator().punctuate(0L);
    }

    /** The state a key's events leave, from a separate run through the same model. */
    private static byte[] stateAfter(LiveModel model, List<Fixture.Event> events) {
        RestoredBatchTest separate = new RestoredBatchTest();
        ForecastProcessor processor = separate.processor(model);
        events.forEach(event -> process(processor, event));
        separate.punctuate();
        return separate.stateStore.get(events.get(0).key());
    }

    private static int index(Map<String, List<Fixture.Event>> byKey, Fixture.Event event) {
        return byKey.get(event.key()).indexOf(event);
    }

    private static List<Long> steps(List<Forecast> forecasts) {
        return forecasts.stream().map(Forecast::stepsSeen).toList();
    }
}
