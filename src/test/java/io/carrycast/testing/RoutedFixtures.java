package io.carrycast.testing;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Three routes over three fixtures with different models, features and cadences, and their keys' events under
 * names the routes' rules tell apart: {@code plant-*} by key prefix to the hourly LSTM, {@code pump-sensor-*} by
 * key regular expression to the per-minute GRU, {@code gauge-*} by {@code segment=river} to the quarter-hourly
 * window-mode BiLSTM.
 */
public final class RoutedFixtures {

    /** Hourly LSTM over load, temperature, humidity and calendar features. */
    public static final Fixture HOURLY = Fixture.load("lstm_multi");
    /** Per-minute GRU over level, flow and pressure. */
    public static final Fixture MINUTELY = Fixture.load("gru");
    /** Quarter-hourly window-mode BiLSTM over level, flow and pressure, 8 events a window. */
    public static final Fixture RIVER = Fixture.load("bilstm_window");

    private RoutedFixtures() {
    }

    /** The settings declaring the three routes, with no default route. */
    public static Map<String, String> threeRoutes() {
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

    /**
     * The event under another key, which its {@code series} field also holds (for a key field), with
     * {@code segment} set when not null, shifted in time.
     */
    public static Fixture.Event renamed(Fixture.Event event, String key, String segment, Duration shift) {
        ObjectNode value = event.value().deepCopy();
        long time = event.timeMs() + shift.toMillis();
        value.put("time", Instant.ofEpochMilli(time).toString());
        value.put("series", key);
        if (segment != null) {
            value.put("segment", segment);
        }
        return new Fixture.Event(key, time, value);
    }

    /** Every key of the three fixtures under its route's name, one event of each key in turn. */
    public static List<Fixture.Event> interleavedRoutedEvents() {
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

    /** The three fixtures' keys' forecasts, under their routed names, are PyTorch's for their own models. */
    public static void assertEachKeyMatchesItsModel(Map<String, List<Forecast>> byKey) {
        assertKeysMatch(HOURLY, "plant-", byKey);
        assertKeysMatch(MINUTELY, "pump-", byKey);
        assertKeysMatch(RIVER, "gauge-", byKey);
        assertEquals(9, byKey.size(), "every key forecast, none other");
    }

    /** Each key's forecasts are its fixture's PyTorch outputs, within the fixture's tolerance (1e-5), by its model. */
    public static void assertKeysMatch(Fixture fixture, String prefix, Map<String, List<Forecast>> byKey) {
        for (String key : fixture.keys()) {
            assertKeyMatches(fixture, key, byKey.getOrDefault(prefix + key, List.of()), prefix + key);
        }
    }

    /** {@code forecasts} are the fixture's PyTorch outputs for its key {@code key}, one per event with a full window. */
    public static void assertKeyMatches(Fixture fixture, String key, List<Forecast> forecasts, String where) {
        List<float[]> expected = fixture.expectedOutputs(key);
        assertEquals(expected.stream().filter(Objects::nonNull).count(), forecasts.size(),
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
}
