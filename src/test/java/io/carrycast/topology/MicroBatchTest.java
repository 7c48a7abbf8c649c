package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.SyntheticEvents;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
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
