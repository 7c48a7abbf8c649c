package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.LiveModel;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.SyntheticEvents;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * At a light load a task requests a commit once per light-load interval, so each commit writes few states; at a
 * higher load, and with the interval at 0, it leaves commits to {@code commit.interval.ms}.
 */
class LightLoadCommitTest {

    private static final Fixture FIXTURE = Fixture.load("lstm");

    private final MockProcessorContext<String, byte[]> context = new MockProcessorContext<>();

    LightLoadCommitTest() {
        KeyValueStore<String, byte[]> state = Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore(StoreNames.LIVE.state()), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled().build();
        state.init(context.getStateStoreContext(), state);
        context.addStateStore((StateStore) state);
    }

    @Test
    void shouldRequestACommitOncePerIntervalAtALightLoadOnly() {
        Iterator<Fixture.Event> events = SyntheticEvents.levelFlowPressure(10, 400, 3).iterator();
        try (LiveModel model = LiveModel.open(FIXTURE.directory(), RunnerOptions.defaults(), m -> { })) {
            ForecastProcessor processor = processor(model, Duration.ofSeconds(1));

            // 10 events a second: a commit is requested when a second has passed, not before.
            for (int i = 0; i < 10; i++) {
                process(processor, events.next(), i * 100L);
            }
            assertFalse(context.committed(), "within the first second");
            process(processor, events.next(), 1_000L);
            assertTrue(context.committed(), "a second has passed at a light load");
            context.resetCommit();

            // More than the light-load bound within the next second: no request at its end.
            for (int i = 0; i <= CarrycastConfig.LIGHT_LOAD_RECORDS; i++) {
                process(processor, events.hasNext() ? events.next() : null, 1_001L + i % 900);
            }
            process(processor, null, 2_000L);
            assertFalse(context.committed(), "a busy second leaves commits to commit.interval.ms");

            // Back to a light load: the next second's end requests one again.
            process(processor, null, 2_500L);
            process(processor, null, 3_000L);
            assertTrue(context.committed(), "a light second again");
        }
    }

    @Test
    void shouldJudgeTheLoadByTheTasksRecordsWhenOtherRoutesTakeMostOfThem() {
        Iterator<Fixture.Event> events = SyntheticEvents.levelFlowPressure(10, 400, 3).iterator();
        try (LiveModel model = LiveModel.open(FIXTURE.directory(), RunnerOptions.defaults(), m -> { })) {
            ForecastProcessor route = processor(model, Duration.ofSeconds(1));
            ForecastProcessor other = processor(model, Duration.ofSeconds(1));
            // As RoutedProcessor shares the first route's test among a task's routes.
            other.countRecordsWith(route.commits());

            // One record in twenty is this route's: few of its own, but a busy second for the task.
            for (int i = 0; i <= CarrycastConfig.LIGHT_LOAD_RECORDS; i++) {
                if (i % 20 == 0) {
                    process(route, events.next(), i % 900);
                } else {
                    process(other, null, i % 900);
                }
            }
            process(route, events.next(), 1_000L);
            assertFalse(context.committed(), "the task was busy though this route saw few of its records");

            // A light second for the task: the request comes.
            process(other, null, 1_500L);
            process(route, events.next(), 2_000L);
            assertTrue(context.committed(), "a light second for the task");
        }
    }

    @Test
    void shouldNeverRequestACommitWithTheIntervalAtZero() {
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(2, 5, 3);
        try (LiveModel model = LiveModel.open(FIXTURE.directory(), RunnerOptions.defaults(), m -> { })) {
            ForecastProcessor processor = processor(model, Duration.ZERO);
            for (int i = 0; i < events.size(); i++) {
                process(processor, events.get(i), i * 1_000L);
            }
            assertFalse(context.committed());
            assertEquals(events.size(), context.forwarded().size(), "every event forecast");
        }
    }

    private ForecastProcessor processor(LiveModel model, Duration lightLoadCommitInterval) {
        context.setCurrentSystemTimeMs(0L);
        ForecastProcessor processor = new ForecastProcessor(model, new ForecastProcessor.Settings(
                new EventReader("time", TimestampFormat.of("iso"), Integer.MAX_VALUE), 1, Duration.ofMillis(20),
                Admission.GapRule.NONE, false, LateEvents.Bound.NONE, Duration.ZERO, StoreNames.LIVE, null,
                io.carrycast.accuracy.Intervals.NONE, LiveScoring.Forwards.NONE,
                null, lightLoadCommitInterval, CarrycastConfig.LIGHT_LOAD_RECORDS, null), CarrycastMetrics.detached());
        processor.init(context);
        return processor;
    }

    /** Processes the event, or a record without a key (dead-lettered, but processed all the same), at a time. */
    private void process(ForecastProcessor processor, Fixture.Event event, long wallClockMs) {
        context.setCurrentSystemTimeMs(wallClockMs);
        try {
            processor.process(event == null ? new Record<>(null, new byte[0], wallClockMs)
                    : new Record<>(event.key(), event.bytes(), event.timeMs()));
        } catch (io.carrycast.forecast.InvalidEventException deadLettered) {
            // A bad record still counts as processed; the topology's handler sends it to the dead-letter topic.
        }
    }
}
