package io.carrycast.topology;

import static io.carrycast.testing.DeadLetters.header;
import static io.carrycast.testing.Forecasts.values;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import io.carrycast.state.StateRecord;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.LateArrivals;
import io.carrycast.testing.Meters;
import io.carrycast.testing.SyntheticEvents;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Late events within the allowed lateness are inserted and their keys replayed: whatever order the events
 * arrive in, the keys end in the states an in-order run reaches, and the latest revision of every forecast is
 * the in-order run's forecast. Events beyond the bound are dead-lettered and change nothing.
 */
class LateEventTest {

    private static final long MINUTE = 60_000L;
    /** The synthetic events come once a minute per key. */
    private static final long ALLOWED_MS = 10 * MINUTE;
    private static final long MAX_DELAY_MS = 8 * MINUTE;
    /** Replays step one event per call, so a replayed state is what the in-order step computed, to the bit. */
    private static final double TOLERANCE = 1e-6;

    @TempDir
    Path stateDir;

    @ParameterizedTest(name = "{0}, batch {1}, history of {2} events")
    @CsvSource({"lstm, 1, 64", "gru, 1, 64", "rnn, 1, 64", "bilstm_window, 1, 64",
        "lstm, 64, 64", "gru, 64, 16", "rnn, 64, 16", "bilstm_window, 64, 16"})
    void shouldEndWithTheInOrderRunsStatesAndForecastsWhateverOrderTheEventsArriveIn(String name, int batch,
                                                                                    int historyEvents) {
        Fixture fixture = Fixture.load(name);
        List<Fixture.Event> inOrder = SyntheticEvents.levelFlowPressure(8, 30, 5);

        Map<String, TreeMap<Long, Forecast>> expected;
        Map<String, byte[]> expectedStates;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve("in-order"),
                Map.of(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, "1"))) {
            driver.send(inOrder);
            expected = LateArrivals.latestRevisions(values(driver.forecasts()));
            expectedStates = contents(driver, ForecastTopology.STATE_STORE);
        }

        for (long seed = 1; seed <= 3; seed++) {
            List<Fixture.Event> arrivals = LateArrivals.delayed(inOrder, MAX_DELAY_MS, seed);
            String run = name + " seed " + seed;
            assertTrue(LateArrivals.lateCount(arrivals) > inOrder.size() / 10, run + ": enough late events");
            try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve("late-" + seed),
                    lateness(batch, historyEvents))) {
                driver.send(arrivals);
                List<Forecast> forecasts = values(driver.forecasts());

                assertEquals(List.of(), driver.deadLetters(), run);
                assertEquals(LateArrivals.lateCount(arrivals), Meters.count(driver.registry(), "carrycast.corrections.replayed"), run);
                assertSameForecasts(expected, LateArrivals.latestRevisions(forecasts), fixture, run);
                Map<String, byte[]> states = contents(driver, ForecastTopology.STATE_STORE);
                assertSameStates(expectedStates, states, run);
                states.forEach((key, record) -> {
                    FeatureWindow want = StateRecord.decode(expectedStates.get(key)).window();
                    FeatureWindow got = StateRecord.decode(record).window();
                    assertEquals(want == null, got == null, run + ": window of " + key + " kept as in order");
                    if (want != null) {
                        assertArrayEquals(want.values(), got.values(), run + ": window of " + key);
                    }
                });
            }
        }
    }

    @Test
    void shouldDeadLetterAnEventBeyondTheAllowedLatenessAndChangeNothing() {
        Fixture fixture = Fixture.load("gru");
        List<Fixture.Event> inOrder = SyntheticEvents.levelFlowPressure(3, 20, 7);
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, lateness(1, 64))) {
            driver.send(inOrder);
            int forecasts = driver.forecasts().size();
            Map<String, byte[]> states = contents(driver, ForecastTopology.STATE_STORE);
            Fixture.Event last = inOrder.get(inOrder.size() - 1);

            driver.send(at(last, last.timeMs() - ALLOWED_MS - 1));

            assertEquals(0, driver.forecasts().size(), "no forecast");
            var deadLetter = driver.deadLetters().get(0);
            String message = header(deadLetter, "__streams.errors.message");
            assertEquals("late", header(deadLetter, "carrycast.reason"));
            assertTrue(message.endsWith("is 600001 ms behind the key's latest event "
                    + Instant.ofEpochMilli(last.timeMs()) + ", beyond the allowed lateness of 600000 ms "
                    + "(carrycast.lateness.allowed.ms)"), message);
            assertEqualContents(states, contents(driver, ForecastTopology.STATE_STORE), "states and histories");
            assertEquals(60, forecasts);
            assertEquals(0, Meters.count(driver.registry(), "carrycast.corrections.replayed"));
        }
    }

    @Test
    void shouldDropAnExactRedeliveryOfAnyHeldEventAndCountIt() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.events("sensor-a").subList(0, 8);
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, lateness(1, 64))) {
            driver.send(events);
            driver.forecasts();

            driver.send(List.of(events.get(2), events.get(5), events.get(7)));

            assertEquals(List.of(), driver.forecasts());
            assertEquals(List.of(), driver.deadLetters());
            assertEquals(3.0, Meters.count(driver.registry(), "carrycast.events.duplicate"));
            assertEquals(0, Meters.count(driver.registry(), "carrycast.corrections.replayed"));
        }
    }

    @Test
    void shouldPublishTheCorrectedForecastsWithRevisionsAndKeepTheLatestInTheLatestStore() {
        Fixture fixture = Fixture.load("lstm");
        String key = "sensor-a";
        List<Fixture.Event> events = fixture.events(key).subList(0, 6);
        Map<String, String> settings = new HashMap<>(lateness(1, 64));
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, "0"); // keeps the latest-forecast store; no server in a driver
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, settings)) {
            driver.send(List.of(events.get(0), events.get(1), events.get(3), events.get(4), events.get(5)));
            driver.forecasts();

            driver.send(events.get(2));
            List<Forecast> corrections = values(driver.forecasts());

            assertEquals(List.of(events.get(2).timeMs(), events.get(3).timeMs(), events.get(4).timeMs(),
                    events.get(5).timeMs()), corrections.stream().map(Forecast::eventTimeMs).toList());
            assertEquals(List.of(0, 1, 1, 1), corrections.stream().map(Forecast::revision).toList());
            assertEquals(List.of(3L, 4L, 5L, 6L), corrections.stream().map(Forecast::stepsSeen).toList());
            for (int i = 2; i < 6; i++) {
                ForecastAssertions.assertMatches(fixture.expectedOutputs(key).get(i), corrections.get(i - 2),
                        fixture.card(), fixture.tolerance(), "event " + i + " against PyTorch's in-order run");
            }
            KeyValueStore<String, byte[]> latest = driver.driver().getKeyValueStore(ForecastTopology.LATEST_STORE);
            assertEquals(corrections.get(3), ForecastJson.read(latest.get(key)));
            assertEquals(1, Meters.count(driver.registry(), "carrycast.corrections.replayed"));
        }
    }

    private static Map<String, String> lateness(int batch, int historyEvents) {
        return Map.of(CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, String.valueOf(ALLOWED_MS),
                CarrycastConfig.LATENESS_HISTORY_MAX_EVENTS_CONFIG, String.valueOf(historyEvents),
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, String.valueOf(batch));
    }

    private static Fixture.Event at(Fixture.Event event, long timeMs) {
        return new Fixture.Event(event.key(), timeMs,
                event.value().deepCopy().put("time", Instant.ofEpochMilli(timeMs).toString()));
    }

    private static Map<String, byte[]> contents(ForecastDriver driver, String storeName) {
        Map<String, byte[]> contents = new TreeMap<>();
        KeyValueStore<String, byte[]> store = driver.driver().getKeyValueStore(storeName);
        try (KeyValueIterator<String, byte[]> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<String, byte[]> entry = all.next();
                contents.put(entry.key, entry.value);
            }
        }
        return contents;
    }

    private static void assertEqualContents(Map<String, byte[]> expected, Map<String, byte[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what);
        expected.forEach((key, bytes) -> assertArrayEquals(bytes, actual.get(key), what + " of " + key));
    }

    private static void assertSameForecasts(Map<String, TreeMap<Long, Forecast>> expected,
                                            Map<String, TreeMap<Long, Forecast>> actual, Fixture fixture, String run) {
        assertEquals(expected.keySet(), actual.keySet(), run);
        for (String key : expected.keySet()) {
            assertEquals(expected.get(key).keySet(), actual.get(key).keySet(), run + ": " + key + "'s event times");
            for (Forecast want : expected.get(key).values()) {
                Forecast got = actual.get(key).get(want.eventTimeMs());
                String where = run + ": " + key + " at " + Instant.ofEpochMilli(want.eventTimeMs());
                assertEquals(want.stepsSeen(), got.stepsSeen(), where);
                assertEquals(want.stateNote(), got.stateNote(), where);
                ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(want, fixture.card()), got,
                        fixture.card(), TOLERANCE, where);
            }
        }
    }

    private static void assertSameStates(Map<String, byte[]> expected, Map<String, byte[]> actual, String run) {
        assertEquals(expected.keySet(), actual.keySet(), run);
        for (String key : expected.keySet()) {
            KeyState want = StateRecord.decode(expected.get(key)).state();
            KeyState got = StateRecord.decode(actual.get(key)).state();
            String where = run + ": state of " + key;
            assertEquals(want.steps(), got.steps(), where);
            assertEquals(want.lastEventTimeMs(), got.lastEventTimeMs(), where);
            assertEquals(want.lastEventDigest(), got.lastEventDigest(), where);
            assertEquals(want.tensors().length, got.tensors().length, where);
            for (int t = 0; t < want.tensors().length; t++) {
                float[] w = want.tensors()[t];
                float[] g = got.tensors()[t];
                assertEquals(w.length, g.length, where);
                for (int i = 0; i < w.length; i++) {
                    assertEquals(w[i], g[i], TOLERANCE, where + " tensor " + t + "[" + i + "]");
                }
            }
        }
        List<String> keys = new ArrayList<>(expected.keySet());
        assertTrue(keys.size() > 1, run + ": several keys");
    }
}
