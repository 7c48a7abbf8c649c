package io.carrycast.topology;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.carrycast.bundle.ModelCard;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rollout through the topology against a plain PyTorch loop that feeds the model its own forecasts
 * ({@code tools/rollout_reference.py}), and the stores it must leave as they would be without it.
 */
class RolloutTest {

    @TempDir
    Path stateDir;

    @ParameterizedTest(name = "{0}, batches of up to {1}")
    @CsvSource({"rollout_lstm, 256", "rollout_gru, 256", "rollout_lstm_stacked, 256", "rollout_rnn, 256",
        "rollout_multi, 256", "rollout_window, 256", "rollout_lstm, 1", "rollout_multi, 1", "rollout_window, 1"})
    void shouldMatchAPlainPyTorchRolloutForInterleavedKeys(String name, int maxBatch) {
        Fixture fixture = Fixture.load(name);
        ModelCard card = fixture.card();
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, Integer.toString(maxBatch)))) {
            driver.send(fixture.interleavedEvents());
            byKey = driver.forecasts().stream().collect(Collectors.groupingBy(TestRecord::key, LinkedHashMap::new,
                    Collectors.mapping(TestRecord::value, Collectors.toList())));
        }

        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            List<Fixture.Event> events = fixture.events(key);
            List<Forecast> forecasts = byKey.getOrDefault(key, List.of());
            assertEquals(expected.stream().filter(Objects::nonNull).count(), forecasts.size(), key);
            int next = 0;
            for (int i = 0; i < expected.size(); i++) {
                if (expected.get(i) == null) {
                    continue;
                }
                Forecast forecast = forecasts.get(next++);
                String where = name + " " + key + " event " + i;
                assertEquals(events.get(i).timeMs(), forecast.eventTimeMs(), where + ": event time");
                assertEquals(card.rollout().steps(), forecast.points().size(), where + ": steps");
                assertMatches(expected.get(i), forecast, card, fixture.tolerance(), where);
            }
        }
    }

    @Test
    void shouldNumberStampAndMarkEveryStepPastTheHorizon() {
        Fixture fixture = Fixture.load("rollout_multi");
        Fixture.Event event = fixture.events(fixture.keys().get(0)).get(0);
        Forecast forecast;
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir)) {
            driver.send(event);
            forecast = driver.forecasts().get(0).value();
        }

        long hour = 3_600_000L;
        List<Forecast.Point> points = forecast.points();
        assertEquals(6, points.size());
        for (int i = 0; i < points.size(); i++) {
            Forecast.Point point = points.get(i);
            assertEquals(i + 1, point.step());
            assertEquals(event.timeMs() + (i + 1) * hour, point.targetTimeMs(), "step " + (i + 1));
            assertEquals(i >= 2, point.rollout(), "horizon 2: steps 3-6 come from rollout");
            assertEquals(List.of("level", "flow"), List.copyOf(point.values().keySet()));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"rollout_lstm", "rollout_gru", "rollout_lstm_stacked", "rollout_rnn", "rollout_multi",
        "rollout_window"})
    void shouldStoreExactlyWhatTheSameModelStoresWithoutRollout(String name) {
        Fixture fixture = Fixture.load(name);
        Path withoutRollout = fixture.copyWithCard(stateDir.resolve("bundle"), card -> card.remove("rollout"));
        Map<String, byte[]> rolledState;
        List<TestRecord<String, Forecast>> rolled;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve("rolled"), Map.of())) {
            driver.send(fixture.interleavedEvents());
            rolled = driver.forecasts();
            rolledState = contents(driver, ForecastTopology.STATE_STORE, fixture.keys());
        }
        List<TestRecord<String, Forecast>> plain;
        try (ForecastDriver driver = ForecastDriver.open(withoutRollout, stateDir.resolve("plain"), Map.of())) {
            driver.send(fixture.interleavedEvents());
            plain = driver.forecasts();
            for (String key : fixture.keys()) {
                assertArrayEquals(contents(driver, ForecastTopology.STATE_STORE, List.of(key)).get(key),
                        rolledState.get(key), name + " " + key + ": stored state and window");
            }
        }

        int horizon = fixture.card().horizon();
        assertEquals(plain.size(), rolled.size());
        for (int i = 0; i < plain.size(); i++) {
            Forecast expected = plain.get(i).value();
            Forecast actual = rolled.get(i).value();
            assertEquals(expected.key(), actual.key());
            assertEquals(expected.stepsSeen(), actual.stepsSeen());
            assertEquals(expected.points(), actual.points().subList(0, horizon), "the event's own steps, unchanged");
        }
    }

    private static Map<String, byte[]> contents(ForecastDriver driver, String store, List<String> keys) {
        KeyValueStore<String, byte[]> kv = driver.driver().getKeyValueStore(store);
        Map<String, byte[]> contents = new LinkedHashMap<>();
        for (String key : keys) {
            byte[] value = kv.get(key);
            if (store.equals(ForecastTopology.STATE_STORE)) {
                assertNotNull(value, key + " has a stored state");
            }
            contents.put(key, value);
        }
        return contents;
    }
}
