package io.carrycast.cli;

import static io.carrycast.testing.RoutedFixtures.assertEachKeyMatchesItsModel;
import static io.carrycast.testing.RoutedFixtures.interleavedRoutedEvents;
import static io.carrycast.testing.RoutedFixtures.threeRoutes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.testing.Fixture;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code carrycast backtest --config} with routes forecasts each event with its route's model, as the stream does. */
class RoutedBacktestCommandTest {

    @TempDir
    Path dir;

    private Path routesConfig() throws IOException {
        Path config = dir.resolve("carrycast.properties");
        Files.writeString(config, threeRoutes().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("\n", "bootstrap.servers=unused:9092\n", "\n")));
        return config;
    }

    @Test
    void shouldForecastEachEventWithItsRoutesModelFromTheConfigurationsRoutes() throws IOException {
        Path input = dir.resolve("events.jsonl");
        Files.write(input, interleavedRoutedEvents().stream().map(e -> e.value().toString()).toList());
        Path output = dir.resolve("forecasts.jsonl");
        StringWriter out = new StringWriter();
        CommandLine command = CarrycastCommand.commandLine();
        command.setOut(new PrintWriter(out));

        int exit = command.execute("backtest", "--config", routesConfig().toString(), "--input", input.toString(),
                "--output", output.toString(), "--key-field", "series", "--timestamp-field", "time");

        assertEquals(0, exit, out.toString());
        Map<String, List<Forecast>> byKey = new LinkedHashMap<>();
        Files.readAllLines(output).stream().map(line -> ForecastJson.read(line.getBytes(StandardCharsets.UTF_8)))
                .forEach(f -> byKey.computeIfAbsent(f.key(), k -> new ArrayList<>()).add(f));
        assertEachKeyMatchesItsModel(byKey);
        assertTrue(out.toString().lines().anyMatch(line -> line.startsWith("plant-sensor-a") && line.contains("load")),
                out.toString());
        assertTrue(out.toString().lines().anyMatch(line -> line.startsWith("pump-sensor-a") && line.contains("level")),
                out.toString());
    }

    @Test
    void shouldRefuseAModelOptionBesideRoutes() throws IOException {
        StringWriter err = new StringWriter();
        CommandLine command = CarrycastCommand.commandLine();
        command.setErr(new PrintWriter(err));
        Path input = dir.resolve("events.jsonl");
        Files.writeString(input, "");
        int exit = command.execute("backtest", "--config", routesConfig().toString(), "--model",
                Fixture.load("lstm").directory().toString(), "--input", input.toString(), "--key-field", "series",
                "--timestamp-field", "time");
        assertEquals(2, exit);
        assertTrue(err.toString().contains("--model and routes in --config (carrycast.routes): the routes' bundles, "
                + "and carrycast.model.dir as the default route, are the models; leave --model out"), err.toString());
    }
}
