package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.Meters;
import io.carrycast.testing.SyntheticEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Cross-key micro-batching: same forecasts as stepping one event at a time, held durably until stepped. */
class MicroBatchTest {

    private static final double BATCHED_VS_SINGLE_TOLERANCE = 1e-5;

    @TempDir
    Path stateDir;

    @Test
    void shouldGiveTheUnbatchedForecastsWhenBatchingAcrossManyKeys() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(300, 6, 3);
        Map<String, List<Forecast>> single = run(fixture, events, "1", "single");
        Map<String, List<Forecast>> batched = run(fixture, events, "64", "batched");

        assertEquals(single.keySet(), batched.keySet());
        for (String key : single.keySet()) {
            assertEquals(6, batched.get(key).size(), key);
            for (int i = 0; i < 6; i++) {
                Forecast expected = single.get(key).get(i);
                Forecast actual = batched.get(key).get(i);
                assertEquals(expected.stepsSeen(), actual.stepsSeen());
                assertEquals(expected.eventTimeMs(), actual.eventTimeMs());
                float[] want = ForecastAssertions.normalisedValues(expected, fixture.card());
                ForecastAssertions.assertMatches(want, actual, fixture.card(), BATCHED_VS_SINGLE_TOLERANCE, key + " " + i);
            }
        }
    }

    @Test
    void shouldStepAKeysEventsInOrderWhenSeveralWaitInOneBatch() {
        Fixture fixture = Fixture.load("gru");
        // All 72 events of the fixture's 3 keys wait in one batch: 24 rounds of 3 keys each.
        Map<String, List<Forecast>> byKey = run(fixture, fixture.interleavedEvents(), "256", "rounds");
        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            for (int i = 0; i < expected.size(); i++) {
                ForecastAssertions.assertMatches(expected.get(i), byKey.get(key).get(i), fixture.card(),
                        fixture.tolerance(), key + " event " + i);
            }
        }
    }

    @Test
    void shouldHoldAcceptedEventsInThePendingStoreUntilTheBatchIsStepped() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents().subList(0, 5);
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.batch.max.size", "16", "carrycast.batch.max.wait.ms", "1000"))) {
            driver.send(events);
            KeyValueStore<Long, byte[]> pending = driver.driver().getKeyValueStore(ForecastTopology.PENDING_STORE);

            assertTrue(driver.forecastsWithoutWaiting().isEmpty(), "nothing stepped before the wait or a full batch");
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L), waitingSequences(pending));

            assertEquals(5, driver.forecasts().size());
            assertEquals(List.of(), waitingSequences(pending));
        }
    }

    @Test
    void shouldStepAFullBatchWithoutWaiting() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(10, 1, 5);
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.batch.max.size", "8", "carrycast.batch.max.wait.ms", "60000"))) {
            driver.send(events);
            assertEquals(8, driver.forecastsWithoutWaiting().size());
        }
    }

    @Test
    void shouldStepTheBatchAsSoonAsTheLastDeliveredEventIsProcessed() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.batch.max.size", "16", "carrycast.batch.max.wait.ms", "60000"))) {
            driver.sendAsOnePoll(events.subList(0, 5));
            assertEquals(5, driver.forecastsWithoutWaiting().size(), "stepped at the poll's last event, no wait");

            driver.sendAsOnePoll(events.subList(5, 8));
            List<TestRecord<String, Forecast>> second = driver.forecastsWithoutWaiting();
            assertEquals(3, second.size());
            assertEquals(events.subList(5, 8).stream().map(Fixture.Event::key).toList(),
                    second.stream().map(TestRecord::key).toList());
            // Three keys interleaved: the first poll's five events make two rounds of distinct keys, the second's one.
            assertEquals(3, Meters.count(driver.registry(), "carrycast.batch.size"),
                    "one model call per round of each poll");
        }
    }

    @Test
    void shouldKeepWaitingWhileMoreOfThePollIsToCome() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.batch.max.size", "16", "carrycast.batch.max.wait.ms", "60000"))) {
            driver.sendAsOnePoll(events.subList(0, 3));
            driver.forecastsWithoutWaiting();
            // Delivered by a poll the processor has not reached the end of: they wait.
            driver.send(events.subList(3, 6));
            assertTrue(driver.forecastsWithoutWaiting().isEmpty());
            assertEquals(3, driver.forecasts().size(), "stepped when the maximum wait passed");
        }
    }

    @Test
    void shouldLeaveTheBatchWaitingAtTheMaximumWaitWhileThePollsEventsAreStillProcessed() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.batch.max.size", "16", "carrycast.batch.max.wait.ms", "1000"))) {
            driver.sendAsStartOfPoll(events.subList(0, 3), 3);
            driver.driver().advanceWallClockTime(Duration.ofSeconds(1));
            assertTrue(driver.forecastsWithoutWaiting().isEmpty(), "records flowed since the last punctuation");
            driver.send(events.subList(3, 5));
            driver.driver().advanceWallClockTime(Duration.ofSeconds(1));
            assertTrue(driver.forecastsWithoutWaiting().isEmpty(), "still flowing; the poll's end is yet to come");
            driver.driver().advanceWallClockTime(Duration.ofSeconds(1));
            List<TestRecord<String, Forecast>> stepped = driver.forecastsWithoutWaiting();
            assertEquals(events.subList(0, 5).stream().map(Fixture.Event::key).toList(),
                    stepped.stream().map(TestRecord::key).toList(),
                    "a whole interval without a record: the poll's last record never came, so they are stepped");
            driver.send(events.subList(5, 6));
            assertEquals(1, driver.forecastsWithoutWaiting().size(), "the poll's last record steps its batch");
        }
    }

    @Test
    void shouldStepTheBatchWhenThePollsLastEventIsRefused() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> good = fixture.events(fixture.keys().get(0)).subList(0, 2);
        Fixture.Event late = good.get(0);
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.batch.max.size", "16", "carrycast.batch.max.wait.ms", "60000"))) {
            driver.sendAsOnePoll(List.of(good.get(0), good.get(1), late));
            assertEquals(2, driver.forecastsWithoutWaiting().size());
            assertEquals(1, driver.deadLetters().size(), "the late event, refused before the batch was stepped");
        }
    }

    /** Sequences in the pending store not yet marked as stepped. */
    private static List<Long> waitingSequences(KeyValueStore<Long, byte[]> pending) {
        byte[] marker = pending.get(PendingRing.STEPPED_BELOW);
        long steppedBelow = marker == null ? 0 : java.nio.ByteBuffer.wrap(marker).getLong();
        List<Long> waiting = new java.util.ArrayList<>();
        try (var entries = pending.all()) {
            entries.forEachRemaining(entry -> {
                if (entry.key != PendingRing.STEPPED_BELOW) {
                    long sequence = io.carrycast.state.PendingEvent.decode(entry.value).sequence();
                    if (sequence >= steppedBelow) {
                        waiting.add(sequence);
                    }
                }
            });
        }
        waiting.sort(Long::compare);
        return waiting;
    }

    private Map<String, List<Forecast>> run(Fixture fixture, List<Fixture.Event> events, String batch, String dir) {
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve(dir),
                Map.of("carrycast.batch.max.size", batch))) {
            driver.send(events);
            return Forecasts.byKey(driver.forecasts());
        }
    }
}
