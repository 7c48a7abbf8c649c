package io.carrycast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code carrycast backtest} with the bundled weather model over the bundled dataset, against the figures
 * and forecasts {@code tools/train_weather_model.py} computed with PyTorch ({@code reference-2015.json}).
 */
class BacktestCommandTest {

    private static final Path MODEL = Path.of("config/models/weather-lstm");
    /** The reference rounds MAE to 4 decimals and forecasts to 4 decimals of a degree. */
    private static final double REFERENCE_ROUNDING = 1e-4 + 1e-9;

    @TempDir
    Path dir;

    @Test
    void shouldReproducePyTorchsForecastsAndScoresForTheWeatherModel() throws IOException {
        Path csv = dir.resolve("weather.csv");
        try (InputStream bundled = getClass().getResourceAsStream("/demo/weather.csv")) {
            Files.copy(bundled, csv);
        }
        Path output = dir.resolve("forecasts.jsonl");
        StringWriter out = new StringWriter();
        CommandLine command = CarrycastCommand.commandLine();
        command.setOut(new PrintWriter(out));

        int exit = command.execute("backtest", "--model", MODEL.toString(), "--input", csv.toString(),
                "--output", output.toString(), "--key-field", "location", "--timestamp-field", "date",
                "--score-from", "2015-01-01", "--score-until", "2016-01-01");

        assertEquals(0, exit, out.toString());
        JsonNode reference = new ObjectMapper().readTree(MODEL.resolve("reference-2015.json").toFile());
        List<Forecast> forecasts = Files.readAllLines(output).stream()
                .map(line -> ForecastJson.read(line.getBytes(StandardCharsets.UTF_8))).toList();
        assertEquals(2 * 1461, forecasts.size());
        for (String city : List.of("Seattle", "New York")) {
            for (JsonNode expected : reference.get("first_forecasts_2015").get(city)) {
                long madeOn = LocalDate.parse(expected.get("made_on").textValue()).atStartOfDay(ZoneOffset.UTC)
                        .toInstant().toEpochMilli();
                Forecast forecast = forecasts.stream()
                        .filter(f -> f.key().equals(city) && f.eventTimeMs() == madeOn).findFirst().orElseThrow();
                assertEquals(expected.get("temp_max").doubleValue(),
                        forecast.points().get(0).values().get("temp_max"), REFERENCE_ROUNDING, city + " " + madeOn);
            }
            JsonNode scores = reference.get("cities").get(city);
            String row = out.toString().lines().filter(line -> line.startsWith(city)).findFirst().orElseThrow();
            String expectedRow = String.format(Locale.ROOT, "%-16s %-12s %4d %6d %10.3f %10.3f %10.3f %10.3f", city,
                    "temp_max", 1, 365, scores.get("mae_model").doubleValue(), scores.get("mae_persistence").doubleValue(),
                    scores.get("rmse_model").doubleValue(), scores.get("rmse_persistence").doubleValue());
            assertEquals(expectedRow, row);
        }
        assertTrue(out.toString().contains("2922 forecasts written"), out.toString());
    }
}
