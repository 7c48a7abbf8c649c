package io.carrycast.topology;

import static io.carrycast.testing.DeadLetters.header;
import static io.carrycast.testing.DeadLetters.reason;
import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static io.carrycast.testing.ForecastAssertions.normalisedValues;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.state.KeyState;
import io.carrycast.state.StateRecord;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several models on one input topic: each event goes to its route's model, judged per event by key prefix, key
 * regular expression or event field, against PyTorch's outputs for each route's fixture.
 */
class RoutesTest {

    /** Hourly LSTM over load, temperature, humidity and calendar features. */
    private static final Fixture HOURLY = Fixture.load("lstm_multi");
    /** Per-minute GRU over level, flow and pressure. */
    private static final Fixture MINUTELY = Fixture.load("gru");
    /** Quarter-hourly window-mode BiLSTM over level, flow and pressure, 8 events a window. */
    private static final Fixture RIVER = Fixture.load("bilstm_window");

    @TempDir
    Path stateDir;

    private static Map<String, String> threeRoutes() {
        Map<String, String> settings = new HashMap<>();
        settings.put(CarrycastConfig.ROUTES_CONFIG, "hourly,minutely,river");
        settings.put("carrycast.route.hourly.match", "key-prefix:plant-");
        settings.put("carrycast.route.hourly.model.dir", HOURLY.directory().toString());
        settings.put("carrycast.route.minutely.match", "key-regex:pump-sensor-[a-z]");
        settings.put("carrycast.route.minutely.model.dir", MINUTELY.directory().toString());
        settings.put("carrycast.route.river.match", "field:segment=river");
        settings.put("carrycast.route.river.model.dir", RIVER.directory().toString());
        return settings;
    }

    /** The fixture's event of {@code key} under another key, with {@code segment} set when not null, shifted in time. */
    private static Fixture.Event renamed(Fixture.Event event, String key, String segment, Duration shift) {
        ObjectNode value = event.value().deepCopy();
        long time = event.timeMs() + shift.toMillis();
        value.put("time", java.time.Instant.ofEpochMilli(time).toString());
        if (segment != null) {
            value.put("segment", segment);
        }
        return new Fixture.Event(key, time, value);
    }

    /** Every key of the three fixtures under its route's name, one event of each in turn. */
    private static List<Fixture.Event> interleavedRoutedEvents() {
        List<List<Fixture.Event>> perKey = new ArrayList<>();
        for (String key : HOURLY.keys()) {
            perKey.add(HOURLY.events(key).stream().map(e -> renamed(e, "plant-" + key, null, Duration.ZERO)).toList());
        }
        for (String key : MINUTELY.keys()) {
            perKey.add(MINUTELY.events(key).stream().map(e -> renamed(e, "pump-" + key, null, Duration.ZERO)).toList());
        }
        for (String key : RIVER.keys()) {
            perKey.add(RIVER.events(key).stream().map(e -> renamed(e, "gauge-" + key, "river", Duration.ZERO)).toList());
        }
        List<Fixture.Event> interleaved = new ArrayList<>();
        int longest = perKey.stream().mapToInt(List::size).max().orElse(0);
        for (int i = 0; i < longest; i++) {
            for (List<Fixture.Event> events : perKey) {
                if (i < events.size()) {
                    interleaved.add(events.get(i));
                }
            }
        }
        return interleaved;
    }

    @Test
    void shouldForecastEachKeyWithItsRoutesModelAsPyTorchDoes() {
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, threeRoutes())) {
            driver.send(interleavedRoutedEvents());
            byKey = Forecasts.byKey(driver.forecasts());
            assertEquals(List.of(), driver.deadLetters());
        }
        assertKeysMatch(HOURLY, "plant-", byKey);
        assertKeysMatch(MINUTELY, "pump-", byKey);
        assertKeysMatch(RIVER, "gauge-", byKey);
        assertEquals(9, byKey.size(), "every key forecast, none other");
    }

    /** Each key's forecasts are its fixture's PyTorch outputs, within the fixture's tolerance (1e-5), by its model. */
    static void assertKeysMatch(Fixture fixture, String prefix, Map<String, List<Forecast>> byKey) {
        for (String key : fixture.keys()) {
            assertKeyMatches(fixture, key, byKey.getOrDefault(prefix + key, List.of()), prefix + key);
        }
    }

    /** {@code forecasts} are the fixture's PyTorch outputs for its key {@code key}, one per event with a full window. */
    static void assertKeyMatches(Fixture fixture, String key, List<Forecast> forecasts, String where) {
        List<float[]> expected = fixture.expectedOutputs(key);
        assertEquals(expected.stream().filter(java.util.Objects::nonNull).count(), forecasts.size(),
                where + ": one forecast per event with a full window");
        int next = 0;
        for (int i = 0; i < expected.size(); i++) {
            if (expected.get(i) == null) {
                continue;
            }
            Forecast forecast = forecasts.get(next++);
            String event = where + " event " + i;
            assertEquals(fixture.card().name(), forecast.modelName(), event + ": the forecast names its model");
            assertEquals(fixture.events(key).get(i).timeMs(), forecast.eventTimeMs(), event + ": event time");
            assertEquals(i + 1, forecast.stepsSeen(), event + ": steps seen");
            assertMatches(expected.get(i), forecast, fixture.card(), fixture.tolerance(), event);
        }
    }

    @Test
    void shouldDeadLetterAnEventNoRouteTakesWithItsReasonAndGoOn() {
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, threeRoutes())) {
            Fixture.Event stray = renamed(RIVER.events("sensor-a").get(0), "gauge-sensor-a", "lake", Duration.ZERO);
            driver.send(stray);
            driver.send(interleavedRoutedEvents());
            List<TestRecord<String, byte[]>> deadLetters = driver.deadLetters();
            assertEquals(1, deadLetters.size());
            assertEquals("no_route", reason(deadLetters.get(0)));
            assertEquals("key 'gauge-sensor-a' with segment=\"lake\" matches no route (hourly: key-prefix:plant-, "
                    + "minutely: key-regex:pump-sensor-[a-z], river: field:segment=river) and no default route is "
                    + "configured (carrycast.model.dir is unset)", header(deadLetters.get(0), "__streams.errors.message"));
            assertEquals(9, Forecasts.byKey(driver.forecasts()).size(), "the stream went on with every key");
        }
    }

    @Test
    void shouldForecastKeysNoRouteTakesWithTheDefaultRoutesModel() {
        Map<String, String> settings = threeRoutes();
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, Fixture.load("lstm").directory().toString());
        Fixture lstm = Fixture.load("lstm");
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, settings)) {
            List<Fixture.Event> events = new ArrayList<>(interleavedRoutedEvents());
            lstm.interleavedEvents().forEach(e -> events.add(renamed(e, "other-" + e.key(), "lake", Duration.ZERO)));
            driver.send(events);
            byKey = Forecasts.byKey(driver.forecasts());
            assertEquals(List.of(), driver.deadLetters());
        }
        assertKeysMatch(lstm, "other-", byKey);
        assertKeysMatch(RIVER, "gauge-", byKey);
    }

    /**
     * A key whose segment changes from a route that keeps no window (the GRU) to the window-mode BiLSTM starts on
     * the BiLSTM with an empty window and a new state: its forecasts from then on are PyTorch's for a key whose first
     * event is the one that moved it; the GRU's state for it is gone from the key-state store.
     */
    @Test
    void shouldStartAKeyWhoseSegmentChangesAfreshOnItsNewRoutesModel() {
        Map<String, String> settings = new HashMap<>();
        settings.put(CarrycastConfig.ROUTES_CONFIG, "lake,river");
        settings.put("carrycast.route.lake.match", "field:segment=lake");
        settings.put("carrycast.route.lake.model.dir", MINUTELY.directory().toString());
        settings.put("carrycast.route.river.match", "field:segment=river");
        settings.put("carrycast.route.river.model.dir", RIVER.directory().toString());
        List<Fixture.Event> events = new ArrayList<>();
        // The GRU reads no calendar feature, so its events may come a day earlier without changing its outputs.
        MINUTELY.events("sensor-a").forEach(e -> events.add(renamed(e, "gauge-1", "lake", Duration.ofDays(-1))));
        RIVER.events("sensor-a").forEach(e -> events.add(renamed(e, "gauge-1", "river", Duration.ZERO)));
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, settings)) {
            driver.send(events);
            List<Forecast> forecasts = Forecasts.byKey(driver.forecasts()).get("gauge-1");
            assertEquals(List.of(), driver.deadLetters());
            int onLake = MINUTELY.events("sensor-a").size();
            List<float[]> lake = MINUTELY.expectedOutputs("sensor-a");
            for (int i = 0; i < onLake; i++) {
                assertMatches(lake.get(i), forecasts.get(i), MINUTELY.card(), 1e-5, "lake event " + i);
            }
            assertKeyMatches(RIVER, "sensor-a", forecasts.subList(onLake, forecasts.size()), "gauge-1 on river");
            KeyValueStore<String, byte[]> states = driver.driver().getKeyValueStore(ForecastTopology.STATE_STORE);
            KeyState stored = StateRecord.decode(states.get("gauge-1")).state();
            assertEquals(RIVER.bundle().fingerprint(), stored.modelFingerprint(), "the state is the BiLSTM's");
            assertEquals(0, stored.tensors().length, "no GRU tensors left");
            assertEquals(1.0, driver.registry().get("carrycast.state.rebuilds").tag("kind", "reset_for_route")
                    .counter().count());
        }
    }

    /**
     * A key whose segment changes from the window-mode BiLSTM (which keeps a window of level, flow and pressure) to
     * the GRU (which reads the same features) has its GRU state rebuilt from that window: its forecasts are the
     * GRU's over the window's events and then its own, as a GRU alone given those events gives them.
     */
    @Test
    void shouldRebuildAKeyWhoseSegmentChangesFromTheWindowItsFormerRouteKept() {
        Map<String, String> settings = new HashMap<>();
        settings.put(CarrycastConfig.ROUTES_CONFIG, "lake,river");
        settings.put("carrycast.route.lake.match", "field:segment=lake");
        settings.put("carrycast.route.lake.model.dir", MINUTELY.directory().toString());
        settings.put("carrycast.route.river.match", "field:segment=river");
        settings.put("carrycast.route.river.model.dir", RIVER.directory().toString());
        List<Fixture.Event> river = RIVER.events("sensor-a").subList(0, 10).stream()
                .map(e -> renamed(e, "gauge-1", "river", Duration.ZERO)).toList();
        List<Fixture.Event> lake = MINUTELY.events("sensor-a").stream()
                .map(e -> renamed(e, "gauge-1", "lake", Duration.ofDays(1))).toList();
        List<Forecast> routed;
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir.resolve("routed"), settings)) {
            driver.send(river);
            driver.send(lake);
            routed = Forecasts.byKey(driver.forecasts()).get("gauge-1");
            assertEquals(List.of(), driver.deadLetters());
        }
        // The window held the river's last 8 events: the GRU alone, given them and then the lake's, is the reference.
        List<Fixture.Event> reference = new ArrayList<>(river.subList(2, 10));
        reference.addAll(lake);
        List<Forecast> alone;
        try (ForecastDriver driver = ForecastDriver.open(MINUTELY.directory(), stateDir.resolve("alone"), Map.of())) {
            driver.send(reference);
            alone = Forecasts.byKey(driver.forecasts()).get("gauge-1");
        }
        List<Forecast> afterMove = routed.subList(routed.size() - lake.size(), routed.size());
        assertEquals(Forecast.REBUILT_FOR_MODEL, afterMove.get(0).stateNote());
        assertEquals(MINUTELY.card().name(), afterMove.get(0).modelName());
        for (int i = 0; i < lake.size(); i++) {
            float[] expected = normalisedValues(alone.get(8 + i), MINUTELY.card());
            assertMatches(expected, afterMove.get(i), MINUTELY.card(), 1e-5, "lake event " + i);
        }
        assertEquals(RIVER.card().name(), routed.get(routed.size() - lake.size() - 1).modelName(),
                "the river's forecasts end where the lake's begin");
    }
}
