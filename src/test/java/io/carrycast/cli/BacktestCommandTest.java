package io.carrycast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.testing.Fixture;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
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
    private static final String KEY = "sensor-a";
    private static final ObjectMapper JSON = new ObjectMapper();
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

    @Test
    void shouldReportRefusedEventsWithTheirReasonsAndExitThree() throws IOException {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.events(KEY).subList(0, 6);
        Fixture.Event bad = copy(events.get(3));
        bad.value().put("flow", "high");
        Path input = jsonLines(List.of(events.get(0), events.get(1), events.get(2), bad, events.get(3), events.get(3),
                events.get(4), events.get(5), events.get(2)));

        Run run = backtest(fixture.directory(), input);

        assertEquals(3, run.exit(), run.out());
        assertEquals(List.of(
                "6 forecasts written to " + dir.resolve("forecasts.jsonl"),
                "1 exact redelivery dropped (same key, time and features as the key's last event)",
                "2 events refused, as the stream would dead-letter them: not_a_number 1, late 1",
                "  event 4 (key 'sensor-a'): not_a_number: event field 'flow' must be a number, found \"high\"",
                "  event 9 (key 'sensor-a'): late: event time " + Instant.ofEpochMilli(events.get(2).timeMs())
                        + " of key 'sensor-a' is not after its last accepted event "
                        + Instant.ofEpochMilli(events.get(5).timeMs())), run.out().lines().limit(5).toList());
        assertEquals("carrycast: 2 of 9 events refused; --allow-refused accepts that\n", run.err());
        assertEquals(6, Files.readAllLines(dir.resolve("forecasts.jsonl")).size());
    }

    @Test
    void shouldSayRedeliveriesBehindTheLastEventMatchedEarlierEventsWhenLatenessIsAllowed() throws IOException {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.events(KEY).subList(0, 6);
        List<Fixture.Event> withRedeliveries = new ArrayList<>(events);
        withRedeliveries.addAll(List.of(events.get(1), events.get(2), events.get(5)));
        Path input = jsonLines(withRedeliveries);

        Run run = backtest(fixture.directory(), input, "--allowed-lateness-ms", "864000000");

        assertEquals(0, run.exit(), run.out());
        assertEquals(List.of("6 forecasts written to " + dir.resolve("forecasts.jsonl"),
                "3 exact redeliveries dropped (same key, time and features as an earlier event of the key: its "
                        + "last, or one within the allowed lateness before it)"),
                run.out().lines().limit(2).toList());
    }

    @Test
    void shouldExitZeroWithRefusedEventsWhenTheyAreAllowed() throws IOException {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.events(KEY).subList(0, 4);
        Path input = jsonLines(List.of(events.get(0), events.get(2), events.get(1), events.get(3)));

        Run run = backtest(fixture.directory(), input, "--allow-refused");

        assertEquals(0, run.exit(), run.out());
        assertTrue(run.out().contains("1 event refused, as the stream would dead-letter them: late 1"), run.out());
        assertEquals("", run.err());
    }

    @Test
    void shouldSayNoScoresCanBeComputedWhenATargetIsNotAFieldOfTheEvents() throws IOException {
        Fixture fixture = Fixture.load("lstm");
        Path model = fixture.copyTo(dir.resolve("model"));
        ObjectNode card = (ObjectNode) JSON.readTree(model.resolve("model.json").toFile());
        ((ObjectNode) card.get("targets").get(0)).put("field", "outflow");
        Files.writeString(model.resolve("model.json"), card.toString());
        Path input = jsonLines(fixture.events(KEY));

        Run run = backtest(model, input);

        assertEquals(4, run.exit(), run.out());
        assertEquals(List.of("24 forecasts written to " + dir.resolve("forecasts.jsonl"),
                "Target 'outflow' of the model is not a field of the events in " + input + ": no scores can be "
                        + "computed for it."), run.out().lines().toList());
    }

    @Test
    void shouldTakeTheGapRuleFromTheConfigurationFileUnlessAnOptionOverridesIt() throws IOException {
        Fixture fixture = Fixture.load("lstm_multi");
        List<Fixture.Event> events = new ArrayList<>(fixture.events(KEY));
        long twoDays = 48 * 3_600_000L;
        for (int i = 20; i < events.size(); i++) {
            Fixture.Event event = events.get(i);
            long time = event.timeMs() + twoDays;
            events.set(i, new Fixture.Event(KEY, time, event.value().deepCopy().put("time",
                    Instant.ofEpochMilli(time).toString())));
        }
        Path input = jsonLines(events);
        Path config = dir.resolve("carrycast.properties");
        Files.writeString(config, "bootstrap.servers=127.0.0.1:9092\ncarrycast.model.dir=unused\n"
                + "carrycast.state.max.gap.ms=10800000\ncarrycast.state.gap.policy=reprime\n");

        assertEquals(List.of(Forecast.REPRIMED_AFTER_GAP), stateNotes(backtest(fixture.directory(), input,
                "--config", config.toString())));
        assertEquals(List.of(Forecast.RESET_AFTER_GAP), stateNotes(backtest(fixture.directory(), input,
                "--config", config.toString(), "--gap-policy", "reset")));
        assertEquals(List.of(), stateNotes(backtest(fixture.directory(), input)), "no gap rule without one");
        assertEquals(List.of(Forecast.RESET_AFTER_GAP), stateNotes(backtest(fixture.directory(), input,
                "--max-gap-ms", "10800000")));
    }

    @Test
    void shouldRefuseAnUnknownGapPolicy() throws IOException {
        Fixture fixture = Fixture.load("lstm");
        Run run = backtest(fixture.directory(), jsonLines(fixture.events(KEY)), "--gap-policy", "restart");

        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("--gap-policy must be reset or reprime, found restart\n"), run.err());
    }

    private record Run(int exit, String out, String err, Path output) {
    }

    private Run backtest(Path model, Path input, String... options) {
        Path output = dir.resolve("forecasts.jsonl");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = CarrycastCommand.commandLine();
        command.setOut(new PrintWriter(out));
        command.setErr(new PrintWriter(err));
        List<String> args = new ArrayList<>(List.of("backtest", "--model", model.toString(), "--input",
                input.toString(), "--output", output.toString(), "--key-field", "series", "--timestamp-field", "time"));
        args.addAll(List.of(options));
        int exit = command.execute(args.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString(), output);
    }

    /** The events as JSON lines, each with its key in the field {@code series}. */
    private Path jsonLines(List<Fixture.Event> events) throws IOException {
        Path file = dir.resolve("events.jsonl");
        List<String> lines = new ArrayList<>();
        for (Fixture.Event event : events) {
            lines.add(event.value().deepCopy().put("series", event.key()).toString());
        }
        Files.write(file, lines);
        return file;
    }

    private static Fixture.Event copy(Fixture.Event event) {
        return new Fixture.Event(event.key(), event.timeMs(), event.value().deepCopy());
    }

    /** The state notes of the forecasts a run wrote, in order, leaving out forecasts without one. */
    private static List<String> stateNotes(Run run) throws IOException {
        assertEquals(0, run.exit(), run.out() + run.err());
        return Files.readAllLines(run.output()).stream()
                .map(line -> ForecastJson.read(line.getBytes(StandardCharsets.UTF_8)).stateNote())
                .filter(java.util.Objects::nonNull).toList();
    }
}
