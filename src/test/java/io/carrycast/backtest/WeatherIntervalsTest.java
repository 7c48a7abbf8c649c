package io.carrycast.backtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.IntervalTally;
import io.carrycast.accuracy.Intervals;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.Resampler;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Intervals on the demo's data: the bundled weather model rolled out a week over 2012-2015, each city's
 * intervals from its own last 365 next-day (to 7-day) errors, scored on 2015. Coverage per city and step is
 * within 3 points of nominal at 0.8 and 0.95, and the calmer city's (Seattle's) intervals are narrower.
 */
class WeatherIntervalsTest {

    private static final Path MODEL = Path.of("config/models/weather-lstm");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A year of daily errors: every season is in the window. */
    private static final Intervals INTERVALS = new Intervals(new double[] {0.8, 0.95}, 365);
    /** In percentage points; at n = 365 a coverage of 0.8 has a sampling deviation of 2.1 points. */
    private static final double COVERAGE_POINTS = 3.0;

    @TempDir
    Path dir;

    @Test
    void shouldCoverEachCityAndStepWithinThreePointsOfNominalAndNarrowTheCalmerCitys() throws Exception {
        Path bundle = withWeekRollout();
        long from = LocalDate.of(2015, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        Backtest.Result result;
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(ModelBundle.load(bundle), RunnerOptions.defaults())) {
            Forecaster forecaster = new Forecaster(runner);
            result = new Backtest(forecaster, new EventReader("date", TimestampFormat.of("iso"), Integer.MAX_VALUE),
                    "location", Admission.GapRule.NONE, LateEvents.Bound.NONE,
                    Duration.ofMillis(Resampler.DEFAULT_GRACE_MS), INTERVALS)
                    .run(EventFile.read(Path.of(getClass().getResource("/demo/weather.csv").toURI())),
                            new Evaluation(forecaster.card(), t -> t >= from), forecast -> { });
        }

        assertEquals(14, result.scores().size(), "two cities x seven steps");
        StringBuilder figures = new StringBuilder();
        for (Evaluation.Score score : result.scores()) {
            for (double level : INTERVALS.levels()) {
                IntervalTally tally = score.intervals().get(level);
                String where = score.key() + " step " + score.step() + " level " + level;
                assertEquals(365, tally.count(), where + ": every 2015 value has an interval");
                figures.append(String.format(java.util.Locale.ROOT, "%s %.1f%%; ", where, 100 * tally.coverage()));
                assertEquals(100 * level, 100 * tally.coverage(), COVERAGE_POINTS, where);
            }
        }
        for (int step = 1; step <= 7; step++) {
            for (double level : INTERVALS.levels()) {
                double seattle = width(result.scores(), "Seattle", step, level);
                double newYork = width(result.scores(), "New York", step, level);
                assertTrue(seattle < newYork, "step " + step + " level " + level + ": Seattle " + seattle
                        + " against New York " + newYork + "; " + figures);
            }
        }
    }

    private static double width(List<Evaluation.Score> scores, String city, int step, double level) {
        return scores.stream().filter(s -> s.key().equals(city) && s.step() == step).findFirst().orElseThrow()
                .intervals().get(level).meanWidth();
    }

    /** The bundled model with the demo's week-long rollout: temp_max fed its own forecast, the rest held. */
    private Path withWeekRollout() throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("weather-rollout"));
        Files.copy(MODEL.resolve(ModelBundle.MODEL_FILE), bundle.resolve(ModelBundle.MODEL_FILE));
        ObjectNode card = (ObjectNode) JSON.readTree(MODEL.resolve(ModelBundle.CARD_FILE).toFile());
        ObjectNode inputs = card.putObject("rollout").put("steps", 7).putObject("inputs");
        for (JsonNode feature : card.get("features")) {
            if (feature.has("field")) {
                String field = feature.get("field").textValue();
                inputs.set(field, field.equals("temp_max") ? JSON.createObjectNode().put("from_target", field)
                        : inputs.textNode("hold"));
            }
        }
        Files.writeString(bundle.resolve(ModelBundle.CARD_FILE), JSON.writeValueAsString(card));
        return bundle;
    }
}
