package io.carrycast.topology;

import static io.carrycast.testing.Forecasts.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LiveModel;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.ModelCalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A new model dropped into the model directory takes over without a restart; a broken one is refused. */
class HotSwapTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "sensor-a";
    private static final int WINDOW = 6;

    @TempDir
    Path dir;

    private long clock = System.currentTimeMillis() - 3_600_000;

    @Test
    void shouldKeepEachKeysStateWhenTheNewModelHasTheSameStateLayout() throws IOException {
        Fixture fixture = Fixture.load("lstm");
        Path modelDir = install(fixture, "1", dir.resolve("model"));
        List<Fixture.Event> events = fixture.events(KEY);
        try (LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), m -> { });
             ForecastDriver driver = ForecastDriver.open(live, modelDir, dir.resolve("state"), Map.of())) {
            driver.send(events.subList(0, 3));
            install(fixture, "2", modelDir);
            assertTrue(live.reloadIfChanged());
            driver.send(events.subList(3, 6));
            List<Forecast> forecasts = values(driver.forecasts());

            assertEquals(List.of("1", "1", "1", "2", "2", "2"), forecasts.stream().map(Forecast::modelVersion).toList());
            for (int i = 0; i < 6; i++) {
                assertEquals(i + 1, forecasts.get(i).stepsSeen());
                ForecastAssertions.assertMatches(fixture.expectedOutputs(KEY).get(i), forecasts.get(i), fixture.card(),
                        fixture.tolerance(), "event " + i + ": state carried across the swap");
            }
        }
    }

    @Test
    void shouldRebuildEachKeysStateFromItsWindowWhenTheStateLayoutChanges() throws IOException {
        Fixture lstm = Fixture.load("lstm");
        Fixture gru = Fixture.load("gru");
        Path modelDir = install(lstm, "1", dir.resolve("model"));
        List<Fixture.Event> events = lstm.events(KEY);
        List<Forecast> forecasts;
        try (LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), m -> { });
             ForecastDriver driver = ForecastDriver.open(live, modelDir, dir.resolve("state"), Map.of())) {
            driver.send(events.subList(0, 8));
            install(gru, "2", modelDir);
            assertTrue(live.reloadIfChanged());
            driver.send(events.get(8));
            forecasts = values(driver.forecasts());
        }
        // The GRU run from zero over the key's last W events, then the new event.
        List<Forecast> reference;
        try (ForecastDriver driver = ForecastDriver.open(install(gru, "2", dir.resolve("reference-model")),
                dir.resolve("reference"), Map.of())) {
            driver.send(events.subList(8 - WINDOW, 9));
            reference = values(driver.forecasts());
        }

        Forecast rebuilt = forecasts.get(8);
        assertEquals(Forecast.REBUILT_FOR_MODEL, rebuilt.stateNote());
        assertEquals("2", rebuilt.modelVersion());
        assertEquals(9, rebuilt.stepsSeen());
        ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(reference.get(WINDOW), gru.card()),
                rebuilt, gru.card(), 1e-5, "rebuilt forecast");
    }

    @Test
    void shouldRefuseABrokenModelAndKeepServingTheOldOne() throws IOException {
        Fixture fixture = Fixture.load("lstm");
        Path modelDir = install(fixture, "1", dir.resolve("model"));
        List<Fixture.Event> events = fixture.events(KEY);
        try (LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), m -> { });
             ForecastDriver driver = ForecastDriver.open(live, modelDir, dir.resolve("state"), Map.of())) {
            driver.send(events.get(0));
            Files.write(modelDir.resolve("model.onnx"), new byte[] {1, 2, 3, 4});
            touch(modelDir.resolve("model.onnx"));
            assertFalse(live.reloadIfChanged());
            driver.send(events.get(1));
            List<Forecast> forecasts = values(driver.forecasts());

            assertEquals(List.of("1", "1"), forecasts.stream().map(Forecast::modelVersion).toList());
            ForecastAssertions.assertMatches(fixture.expectedOutputs(KEY).get(1), forecasts.get(1), fixture.card(),
                    fixture.tolerance(), "old model still serving");
            assertNull(forecasts.get(1).stateNote());
        }
    }

    @Test
    void shouldStepTheEventsWaitingForABatchWithTheOldModelAndThenCloseIt() throws IOException {
        Fixture lstm = Fixture.load("lstm");
        List<Fixture.Event> firstThree = lstm.events(KEY).subList(0, 3);
        Map<String, String> batchWaitingAMinute = Map.of("carrycast.batch.max.size", "16",
                "carrycast.batch.max.wait.ms", "60000");
        Path modelDir = install(lstm, "1", dir.resolve("model"));
        try (LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), m -> { });
             ForecastDriver driver = ForecastDriver.open(live, modelDir, dir.resolve("state"), batchWaitingAMinute)) {
            Forecaster old = live.current();
            driver.send(firstThree.subList(0, 2));
            assertEquals(List.of(), driver.forecastsWithoutWaiting(), "waiting for the batch");
            install(lstm, "2", modelDir);
            assertTrue(live.reloadIfChanged());
            ModelCalls.stepOnce(old.runner());

            driver.send(firstThree.get(2));

            assertEquals(List.of("1", "1"), values(driver.forecastsWithoutWaiting()).stream()
                    .map(Forecast::modelVersion).toList(), "admitted under version 1, stepped by it");
            assertThrows(IllegalStateException.class, () -> ModelCalls.stepOnce(old.runner()),
                    "closed once the processor moved to version 2");
        }
    }

    /** Copies a fixture's bundle into {@code target} as the given version, keeping a window of W events. */
    private Path install(Fixture fixture, String version, Path target) throws IOException {
        Files.createDirectories(target);
        Files.copy(fixture.directory().resolve("model.onnx"), target.resolve("model.onnx"),
                StandardCopyOption.REPLACE_EXISTING);
        ObjectNode card = (ObjectNode) JSON.readTree(fixture.directory().resolve("model.json").toFile());
        card.put("version", version).put("window", WINDOW);
        Files.writeString(target.resolve("model.json"), JSON.writeValueAsString(card));
        touch(target.resolve("model.onnx"));
        touch(target.resolve("model.json"));
        return target;
    }

    /** Distinct modification times, so a replaced file is seen as changed even within one clock tick. */
    private void touch(Path file) throws IOException {
        clock += 1000;
        Files.setLastModifiedTime(file, FileTime.fromMillis(clock));
    }
}
