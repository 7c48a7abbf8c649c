package io.carrycast.topology;

import static io.carrycast.testing.DeadLetters.header;
import static io.carrycast.testing.DeadLetters.reason;
import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static io.carrycast.testing.ForecastAssertions.normalisedValues;
import static io.carrycast.testing.RoutedFixtures.HOURLY;
import static io.carrycast.testing.RoutedFixtures.MINUTELY;
import static io.carrycast.testing.RoutedFixtures.RIVER;
import static io.carrycast.testing.RoutedFixtures.assertEachKeyMatchesItsModel;
import static io.carrycast.testing.RoutedFixtures.assertKeyMatches;
import static io.carrycast.testing.RoutedFixtures.assertKeysMatch;
import static io.carrycast.testing.RoutedFixtures.interleavedRoutedEvents;
import static io.carrycast.testing.RoutedFixtures.renamed;
import static io.carrycast.testing.RoutedFixtures.threeRoutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.state.KeyState;
import io.carrycast.state.StateRecord;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.Meters;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.forecast.LiveModel;
import io.carrycast.runner.RunnerOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several models on one input topic: each event goes to its route's model, judged per event by key prefix, key
 * regular expression or event field, against PyTorch's outputs for each route's fixture.
 */
class RoutesTest {

    @TempDir
    Path stateDir;

    @Test
    void shouldForecastEachKeyWithItsRoutesModelAsPyTorchDoes() {
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, threeRoutes())) {
            driver.send(interleavedRoutedEvents());
            byKey = Forecasts.byKey(driver.forecasts());
            assertEquals(List.of(), driver.deadLetters());
            // No poll is reported here: the routes' counts are added every count interval.
            assertEquals(0.0, Meters.count(driver.registry(), "carrycast.events.routed", "route", "hourly"));
            driver.driver().advanceWallClockTime(RoutedProcessor.COUNT_INTERVAL);
            assertEquals(3 * 24.0, Meters.count(driver.registry(), "carrycast.events.routed", "route", "hourly"));
            assertEquals(3 * 24.0, Meters.count(driver.registry(), "carrycast.events.routed", "route", "minutely"));
            assertEquals(3 * 24.0, Meters.count(driver.registry(), "carrycast.events.routed", "route", "river"));
            for (String route : List.of("hourly", "minutely", "river")) {
                assertEquals(3 * 24.0, driver.registry().get("carrycast.batch.size").tag("route", route).summary()
                        .totalAmount(), "each of the route's events stepped once, by its model's calls: " + route);
                assertEquals(driver.registry().get("carrycast.batch.size").tag("route", route).summary().count(),
                        driver.registry().get("carrycast.inference.latency").tag("route", route).timer().count(),
                        "one timed call per batch: " + route);
            }
        }
        assertEachKeyMatchesItsModel(byKey);
    }

    @Test
    void shouldCountTheEventsHandedToEachRouteAtTheEndOfAPoll() {
        List<Fixture.Event> events = interleavedRoutedEvents();
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, threeRoutes())) {
            driver.sendAsStartOfPoll(events.subList(0, 30), events.size() - 30);
            for (String route : List.of("hourly", "minutely", "river")) {
                assertEquals(0.0, Meters.count(driver.registry(), "carrycast.events.routed", "route", route),
                        "counted at the end of the poll's records, not per event: " + route);
            }
            driver.send(events.subList(30, events.size()));
            for (String route : List.of("hourly", "minutely", "river")) {
                assertEquals(3 * 24.0, Meters.count(driver.registry(), "carrycast.events.routed", "route", route), route);
            }
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
     * Two routes may serve the very same bundle (one model for two groups, each with a topic or a swap of its own):
     * each route's keys carry their state from event to event as with one model, none is started over as if it had
     * come from another route.
     */
    @Test
    void shouldCarryEachKeysStateWhenTwoRoutesServeTheSameBundle() {
        Fixture lstm = Fixture.load("lstm");
        Map<String, String> settings = new HashMap<>();
        settings.put(CarrycastConfig.ROUTES_CONFIG, "north,south");
        settings.put("carrycast.route.north.match", "key-prefix:north-");
        settings.put("carrycast.route.north.model.dir", lstm.directory().toString());
        settings.put("carrycast.route.south.match", "key-prefix:south-");
        settings.put("carrycast.route.south.model.dir", lstm.directory().toString());
        List<Fixture.Event> events = new ArrayList<>();
        lstm.interleavedEvents().forEach(e -> {
            events.add(renamed(e, "north-" + e.key(), null, Duration.ZERO));
            events.add(renamed(e, "south-" + e.key(), null, Duration.ZERO));
        });
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, settings)) {
            // One event per poll: each is stepped at once, so the next finds its key's state in the store.
            events.forEach(event -> driver.sendAsOnePoll(List.of(event)));
            byKey = Forecasts.byKey(driver.forecasts());
            assertEquals(List.of(), driver.deadLetters());
            assertEquals(0.0, Meters.count(driver.registry(), "carrycast.state.rebuilds", "kind", "reset_for_route"));
        }
        assertKeysMatch(lstm, "north-", byKey);
        assertKeysMatch(lstm, "south-", byKey);
        byKey.values().forEach(forecasts -> forecasts.forEach(forecast -> assertEquals(null, forecast.stateNote(),
                "no forecast of a key that stayed on its route starts over")));
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
    /**
     * Replacing the per-minute route's bundle swaps that route's model only: the other routes' forecasts are
     * byte for byte those of a run without the swap, and the swapped route's keys carry on under the new version.
     */
    @Test
    void shouldLeaveTheOtherRoutesForecastsByteIdenticalWhenOneRoutesModelIsSwapped() throws IOException {
        Map<String, String> settings = threeRoutes();
        Path minutelyDir = MINUTELY.copyWithCard(stateDir.resolve("minutely"), card -> card.put("version", "1"));
        settings.put("carrycast.route.minutely.model.dir", minutelyDir.toString());
        List<Fixture.Event> events = interleavedRoutedEvents();
        int half = events.size() / 2;
        List<TestRecord<String, byte[]>> unswapped;
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir.resolve("unswapped"), settings)) {
            driver.send(events);
            unswapped = driver.rawForecasts();
        }
        List<TestRecord<String, byte[]>> swapped = new ArrayList<>();
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir.resolve("swapped"), settings)) {
            driver.send(events.subList(0, half));
            swapped.addAll(driver.rawForecasts());
            Path card = minutelyDir.resolve("model.json");
            Files.writeString(card, Files.readString(card).replace("\"version\":\"1\"", "\"version\":\"2\""));
            Files.setLastModifiedTime(minutelyDir.resolve("model.json"),
                    FileTime.fromMillis(System.currentTimeMillis() + 60_000));
            assertTrue(driver.routeModels().get(1).reloadIfChanged(), "the minutely route's model swapped");
            driver.send(events.subList(half, events.size()));
            swapped.addAll(driver.rawForecasts());
        }
        assertEquals(6, otherRoutesBytes(swapped).size());
        assertEquals(otherRoutesBytes(unswapped), otherRoutesBytes(swapped));
        Map<String, List<Forecast>> byKey = new HashMap<>();
        ForecastSerde serde = new ForecastSerde();
        swapped.forEach(record -> byKey.computeIfAbsent(record.key(), k -> new ArrayList<>())
                .add(serde.deserializer().deserialize(ForecastDriver.OUTPUT, record.value())));
        for (String key : MINUTELY.keys()) {
            List<Forecast> forecasts = byKey.get("pump-" + key);
            assertEquals("2", forecasts.get(forecasts.size() - 1).modelVersion(), key + ": served by the new version");
            assertEquals("1", forecasts.get(0).modelVersion(), key);
            assertKeyMatches(MINUTELY, key, forecasts, "pump-" + key + " across its route's swap");
        }
    }

    @Test
    void shouldRunOneChallengerOnEveryEventBesideTheRoutesAndLeaveTheirForecastsByteIdentical() {
        List<Fixture.Event> events = interleavedRoutedEvents();
        List<TestRecord<String, byte[]>> alone;
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir.resolve("alone"), threeRoutes())) {
            driver.send(events);
            alone = driver.rawForecasts();
        }
        Path challengerDir = MINUTELY.copyWithCard(stateDir.resolve("next"), card -> card.put("version", "next"));
        List<TestRecord<String, byte[]>> beside;
        Map<String, List<Forecast>> challengerByKey;
        long plantEvents = events.stream().filter(event -> event.key().startsWith("plant-")).count();
        try (LiveModel challenger = LiveModel.open(challengerDir, RunnerOptions.defaults(), served -> { });
             ForecastDriver driver = ForecastDriver.openRoutes(stateDir.resolve("beside"), threeRoutes(), challenger)) {
            TestOutputTopic<String, Forecast> challengerTopic = driver.driver().createOutputTopic(
                    "forecasts-challenger", new StringDeserializer(), new ForecastSerde().deserializer());
            driver.send(events);
            beside = driver.rawForecasts();
            challengerByKey = Forecasts.byKey(challengerTopic.readRecordsToList());
            assertEquals(List.of(), driver.deadLetters(), "the challenger's failures are not dead letters");
            // The hourly route's events lack the per-minute GRU's features: each is the challenger's failure alone.
            assertEquals(plantEvents, Meters.count(driver.registry(), "carrycast.challenger.failures", "kind",
                    "event_missing_feature"), 0.0);
        }
        assertEquals(valuesByKey(alone), valuesByKey(beside), "every route's forecasts, with and without a challenger");
        assertKeysMatch(MINUTELY, "pump-", challengerByKey);
        challengerByKey.forEach((key, forecasts) -> assertEquals(List.of("next"),
                forecasts.stream().map(Forecast::modelVersion).distinct().toList(), key));
        assertTrue(challengerByKey.keySet().stream().noneMatch(key -> key.startsWith("plant-")));
    }

    private static Map<String, List<String>> valuesByKey(List<TestRecord<String, byte[]>> records) {
        Map<String, List<String>> byKey = new HashMap<>();
        records.forEach(record -> byKey.computeIfAbsent(record.key(), k -> new ArrayList<>())
                .add(new String(record.value(), StandardCharsets.UTF_8)));
        return byKey;
    }

    /**
     * Per key of every route but the per-minute one, its forecasts as the output topic holds them, in order (the
     * routes' micro-batches are stepped at different times, so keys of different routes interleave differently).
     */
    private static Map<String, List<String>> otherRoutesBytes(List<TestRecord<String, byte[]>> records) {
        Map<String, List<String>> byKey = new java.util.TreeMap<>();
        records.stream().filter(record -> !record.key().startsWith("pump-")).forEach(record -> byKey
                .computeIfAbsent(record.key(), k -> new ArrayList<>()).add(java.util.HexFormat.of().formatHex(record.value())));
        return byKey;
    }
    /** The latest-forecast store, which GET /forecasts/{key} reads, holds each key's latest forecast by its route. */
    @Test
    void shouldKeepEachKeysLatestForecastFromItsRoutesModel() {
        Map<String, String> settings = threeRoutes();
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, "0"); // keeps the latest-forecast store; no server in a driver
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, settings)) {
            driver.send(interleavedRoutedEvents());
            Map<String, List<Forecast>> byKey = Forecasts.byKey(driver.forecasts());
            KeyValueStore<String, byte[]> latest = driver.driver().getKeyValueStore(ForecastTopology.LATEST_STORE);
            for (Map.Entry<String, List<Forecast>> key : byKey.entrySet()) {
                List<Forecast> forecasts = key.getValue();
                assertEquals(forecasts.get(forecasts.size() - 1), ForecastJson.read(latest.get(key.getKey())),
                        key.getKey());
            }
            assertEquals(9, byKey.size());
        }
    }
    /**
     * With a topic of its own, a route's forecasts go there, each naming its route in a header; the other routes'
     * stay on the one output topic.
     */
    @Test
    void shouldWriteARoutesForecastsToItsOwnTopicWhenConfigured() {
        Map<String, String> settings = threeRoutes();
        settings.put("carrycast.route.river.output.topic", "forecasts-river");
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, settings)) {
            driver.send(interleavedRoutedEvents());
            Map<String, List<Forecast>> shared = Forecasts.byKey(driver.forecasts());
            List<TestRecord<String, byte[]>> river = driver.driver().createOutputTopic("forecasts-river",
                    new org.apache.kafka.common.serialization.StringDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer()).readRecordsToList();
            Map<String, List<Forecast>> riverByKey = new HashMap<>();
            for (TestRecord<String, byte[]> record : river) {
                assertEquals("river", header(record, "carrycast.route"), record.key());
                riverByKey.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(ForecastJson.read(record.value()));
            }
            assertKeysMatch(RIVER, "gauge-", riverByKey);
            assertEquals(3, riverByKey.size());
            assertKeysMatch(HOURLY, "plant-", shared);
            assertKeysMatch(MINUTELY, "pump-", shared);
            assertEquals(6, shared.size(), "only the hourly and per-minute keys on the shared topic");
        }
    }
}
