package io.carrycast.topology;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The topology against PyTorch's own outputs for every exported fixture. */
class ForecastTopologyTest {

    @TempDir
    Path stateDir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"rnn", "lstm", "gru", "lstm_stacked", "lstm_multi", "bilstm_window"})
    void shouldMatchPyTorchEventByEventForInterleavedKeys(String name) {
        Fixture fixture = Fixture.load(name);
        ModelCard card = fixture.card();
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir)) {
            driver.send(fixture.interleavedEvents());
            byKey = Forecasts.byKey(driver.forecasts());
        }

        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            List<Fixture.Event> events = fixture.events(key);
            List<Forecast> forecasts = byKey.getOrDefault(key, List.of());
            long due = expected.stream().filter(Objects::nonNull).count();
            assertEquals(due, forecasts.size(), key + ": one forecast per event with a full window");
            int next = 0;
            for (int i = 0; i < expected.size(); i++) {
                if (expected.get(i) == null) {
                    continue;
                }
                Forecast forecast = forecasts.get(next++);
                String where = name + " " + key + " event " + i;
                assertEquals(events.get(i).timeMs(), forecast.eventTimeMs(), where + ": event time");
                assertEquals(i + 1, forecast.stepsSeen(), where + ": steps seen");
                assertMatches(expected.get(i), forecast, card, fixture.tolerance(), where);
            }
        }
    }

    @Test
    void shouldNotLetOneKeysEventsChangeAnotherKeysForecasts() {
        Fixture fixture = Fixture.load("lstm");
        String key = fixture.keys().get(1);
        List<Forecast> alone;
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir.resolve("alone"))) {
            driver.send(fixture.events(key));
            alone = Forecasts.byKey(driver.forecasts()).get(key);
        }
        List<Forecast> interleaved;
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir.resolve("interleaved"))) {
            driver.send(fixture.interleavedEvents());
            interleaved = Forecasts.byKey(driver.forecasts()).get(key);
        }
        assertEquals(alone, interleaved);
    }

    @Test
    void shouldStampForecastWithEventTimeAndOneTargetTimePerHorizonStep() {
        Fixture fixture = Fixture.load("lstm_multi");
        Fixture.Event first = fixture.events(fixture.keys().get(0)).get(0);
        TestRecord<String, Forecast> record;
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir)) {
            driver.send(first);
            record = driver.forecasts().get(0);
        }
        Forecast forecast = record.value();
        long hour = 3_600_000L;
        assertEquals(first.key(), record.key());
        assertEquals(first.timeMs(), record.timestamp());
        assertEquals("fixture-lstm_multi", forecast.modelName());
        assertEquals("1", forecast.modelVersion());
        assertEquals("stateful", forecast.mode());
        assertEquals(List.of(1, 2, 3), forecast.points().stream().map(Forecast.Point::step).toList());
        assertEquals(List.of(first.timeMs() + hour, first.timeMs() + 2 * hour, first.timeMs() + 3 * hour),
                forecast.points().stream().map(Forecast.Point::targetTimeMs).toList());
        assertEquals(List.of("load", "temperature"), List.copyOf(forecast.points().get(0).values().keySet()));
    }

    @Test
    void shouldRekeyEventsByConfiguredKeyField() {
        Fixture fixture = Fixture.load("gru");
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.key.field", "series"))) {
            for (Fixture.Event event : fixture.interleavedEvents()) {
                event.value().put("series", event.key());
                driver.sendRaw("producer-key-unrelated", event.bytes(), event.timeMs());
            }
            byKey = Forecasts.byKey(driver.forecasts());
        }
        assertEquals(fixture.keys(), List.copyOf(byKey.keySet()));
        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            assertEquals(expected.size(), byKey.get(key).size());
            for (int i = 0; i < expected.size(); i++) {
                assertMatches(expected.get(i), byKey.get(key).get(i), fixture.card(), fixture.tolerance(), key + " " + i);
            }
        }
        assertTrue(byKey.values().stream().flatMap(List::stream).allMatch(f -> byKey.containsKey(f.key())));
    }
}
