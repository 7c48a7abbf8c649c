package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.IntervalTally;
import io.carrycast.backtest.Evaluation;
import io.carrycast.backtest.EventFile;
import io.carrycast.demo.Demo;
import io.carrycast.forecast.Forecast;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's main command, end to end: its 2015 scores are PyTorch's, computed from Kafka's output; its
 * intervals, from each city's own live errors, cover 2015 as nominal within 3 points, narrower for the calmer
 * city; its anomalies are exactly the 2015 actuals outside the 95 % bounds their forecasts were published with.
 */
class DemoIT {

    private static final Path MODEL = Path.of("config/models/weather-lstm");
    private static final long FROM = LocalDate.of(2015, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    private static final long UNTIL = LocalDate.of(2016, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    /** In percentage points; at n = 365 a true coverage of 80 % varies by about 2.1 points from sample to sample. */
    private static final double COVERAGE_POINTS = 3.0;
    /** The report's shades of the forecast's blue: 95 % the paler, 80 % drawn inside it. */
    private static final int SHADE_95 = new Color(221, 235, 244).getRGB();
    private static final int SHADE_80 = new Color(177, 207, 229).getRGB();

    /** The daily demo, run once for the tests that read it (each run replays the four years through Kafka). */
    private static Demo.Result daily;

    @TempDir
    static Path dailyReportDir;

    @TempDir
    Path reportDir;

    @BeforeAll
    static void runTheDailyDemo() throws Exception {
        daily = new Demo(new Demo.Options(null, MODEL, dailyReportDir, 0, false, 0)).run();
    }

    @Test
    void shouldScoreTheForecastsConsumedFromKafkaAsPyTorchDid() throws Exception {
        Demo.Result result = daily;

        assertEquals(2922, result.forecastsConsumed());
        JsonNode reference = new ObjectMapper().readTree(MODEL.resolve("reference-2015.json").toFile());
        assertEquals(2, result.scores().size());
        for (Evaluation.Score score : result.scores()) {
            JsonNode expected = reference.get("cities").get(score.key());
            assertEquals(365, score.count(), score.key());
            assertEquals(expected.get("mae_model").doubleValue(), score.maeModel(), 1e-4, score.key());
            assertEquals(expected.get("mae_persistence").doubleValue(), score.maePersistence(), 1e-4, score.key());
            assertEquals(expected.get("rmse_model").doubleValue(), score.rmseModel(), 1e-4, score.key());
        }
        assertTrue(result.modelBeatsPersistenceEverywhere());

        // The forecaster's own live scores, from its scores topic, equal those computed from the forecast topic.
        assertEquals(2, result.liveScores().size());
        for (Evaluation.Score live : result.liveScores()) {
            Evaluation.Score offline = result.scores().stream().filter(s -> s.key().equals(live.key())).findFirst()
                    .orElseThrow();
            assertEquals(offline.count(), live.count(), live.key());
            assertEquals(offline.maeModel(), live.maeModel(), 1e-6, live.key() + " MAE");
            assertEquals(offline.maePersistence(), live.maePersistence(), 1e-6, live.key() + " persistence MAE");
        }

        // The week-long rollout, step by step, as a plain PyTorch loop rolled it out (tools/rollout_reference.py).
        JsonNode rollout = new ObjectMapper().readTree(MODEL.resolve("reference-rollout-2015.json").toFile());
        assertEquals(2 * Demo.DEFAULT_ROLLOUT_STEPS, result.stepScores().size());
        for (Evaluation.Score score : result.stepScores()) {
            JsonNode expected = rollout.get("cities").get(score.key()).get(score.step() - 1);
            String where = score.key() + " step " + score.step();
            assertEquals(expected.get("n").intValue(), score.count(), where);
            assertEquals(expected.get("mae_model").doubleValue(), score.maeModel(), 1e-5, where);
            assertEquals(expected.get("mae_persistence").doubleValue(), score.maePersistence(), 1e-6, where);
        }
        BufferedImage chart = ImageIO.read(result.png().toFile());
        assertEquals(1200, chart.getWidth());
        assertEquals(720, chart.getHeight(), "one 360-pixel panel per city");
        String html = Files.readString(result.html());
        assertTrue(html.contains("<td>Seattle</td><td>365</td>"), html.substring(0, Math.min(2000, html.length())));
        assertTrue(html.contains("data:image/png;base64,"));
        assertTrue(html.contains("<h2>Live scores</h2>"), "live scores section");
        assertTrue(html.contains("<h2>Rollout: temp_max up to 7 days ahead, 2015</h2>"), "rollout section");
        assertTrue(html.contains("<tr><td>Seattle</td><td>7</td><td>365</td>"), "step 7 row");
    }

    @Test
    void shouldCoverEachCityAndStepWithinThreePointsOfNominalAndNarrowTheCalmerCitysIntervals() {
        assertEquals(14, daily.stepScores().size(), "two cities x seven steps");
        for (Evaluation.Score score : daily.stepScores()) {
            for (double level : Demo.INTERVALS.levels()) {
                IntervalTally tally = score.intervals().get(level);
                String where = score.key() + " step " + score.step() + " level " + level;
                assertEquals(365, tally.count(), where + ": every 2015 value was published with both bounds");
                assertEquals(100 * level, 100 * tally.coverage(), COVERAGE_POINTS, where);
            }
        }
        // Seattle is the calmer city: its temperature changes less from one day to the next (persistence's error).
        assertTrue(nextDay("Seattle").maePersistence() < nextDay("New York").maePersistence());
        for (int step = 1; step <= Demo.DEFAULT_ROLLOUT_STEPS; step++) {
            for (double level : Demo.INTERVALS.levels()) {
                double seattle = interval("Seattle", step, level).meanWidth();
                double newYork = interval("New York", step, level).meanWidth();
                assertTrue(seattle < newYork, "step " + step + " level " + level + ": Seattle " + seattle
                        + " against New York " + newYork);
            }
        }
    }

    /**
     * The anomaly rule (docs/intervals.md): one record per forecast step whose interval at the anomaly level
     * did not hold its actual; a value without bounds at that level is never an anomaly.
     */
    @Test
    void shouldFlagExactlyThe2015ActualsOutsideThe95PercentBoundsTheirForecastsWerePublishedWith() {
        Map<String, Map<Long, Double>> actuals = actuals();
        Map<String, Set<Long>> days = new TreeMap<>();
        Map<String, int[]> nextDayAndAll = new TreeMap<>();
        for (Forecast forecast : daily.forecasts()) {
            for (Forecast.Point point : forecast.points()) {
                Double actual = actuals.get(forecast.key()).get(point.targetTimeMs());
                Forecast.Interval at = point.intervals().stream().filter(i -> i.level() == Demo.ANOMALY_LEVEL)
                        .findFirst().orElseThrow();
                Double lower = at.lower().get("temp_max");
                Double upper = at.upper().get("temp_max");
                if (point.targetTimeMs() >= FROM && point.targetTimeMs() < UNTIL && actual != null && lower != null
                        && (actual < lower || actual > upper)) {
                    days.computeIfAbsent(forecast.key(), k -> new HashSet<>()).add(point.targetTimeMs());
                    int[] counts = nextDayAndAll.computeIfAbsent(forecast.key(), k -> new int[2]);
                    counts[0] += point.step() == 1 ? 1 : 0;
                    counts[1]++;
                }
            }
        }
        assertEquals(List.of("New York", "Seattle"), daily.anomalies().stream().map(Demo.AnomalyCount::key).toList());
        for (Demo.AnomalyCount count : daily.anomalies()) {
            assertEquals(days.get(count.key()).size(), count.days(), count.key() + ": days flagged");
            assertEquals(nextDayAndAll.get(count.key())[0], count.nextDay(), count.key() + ": next-day records");
            assertEquals(nextDayAndAll.get(count.key())[1], count.records(), count.key() + ": records");
            IntervalTally nextDay95 = interval(count.key(), 1, Demo.ANOMALY_LEVEL);
            assertEquals(nextDay95.count() - nextDay95.covered(), count.nextDay(),
                    count.key() + ": the next-day values the 95 % interval missed");
        }
    }

    @Test
    void shouldShowTheBandsAndTheCoverageAndAnomalyTablesInTheReport() throws Exception {
        String html = Files.readString(daily.html());
        assertTrue(html.contains("<h2>Prediction intervals: coverage and width, 2015</h2>"), "interval section");
        IntervalTally at80 = interval("Seattle", 7, 0.8);
        IntervalTally at95 = interval("Seattle", 7, 0.95);
        String row = String.format(Locale.ROOT, "<tr><td>Seattle</td><td>7</td><td>%d</td><td>%.1f</td><td>%.2f</td>"
                + "<td>%d</td><td>%.1f</td><td>%.2f</td></tr>", at80.count(), 100 * at80.coverage(), at80.meanWidth(),
                at95.count(), 100 * at95.coverage(), at95.meanWidth());
        assertTrue(html.contains(row), row);
        assertTrue(html.contains("<h2>Anomalies, 2015</h2>"), "anomaly section");
        Demo.AnomalyCount seattle = daily.anomalies().get(1);
        assertTrue(html.contains(String.format(Locale.ROOT, "<tr><td>Seattle</td><td>%d</td><td>%d</td><td>%d</td></tr>",
                seattle.days(), seattle.nextDay(), seattle.records())), "Seattle's anomalies");
        assertTrue(html.contains("its 80 % and 95 % intervals as published"), "the chart's caption");

        // Every 2015 day has both bounds, so both shades run the whole year in each city's panel. The lines drawn
        // over them hide a shade in some columns (the 80 % one in 4.2 % of New York's, the most), so at least 90 %
        // of the plot's columns (x = 61 to 1179) must show each.
        BufferedImage chart = ImageIO.read(daily.png().toFile());
        for (int panel = 0; panel < 2; panel++) {
            for (int shade : new int[] {SHADE_95, SHADE_80}) {
                int columns = 0;
                for (int x = 61; x < 1180; x++) {
                    boolean shown = false;
                    for (int y = panel * 360 + 41; y < panel * 360 + 320 && !shown; y++) {
                        shown = chart.getRGB(x, y) == shade;
                    }
                    columns += shown ? 1 : 0;
                }
                assertTrue(columns >= 0.9 * 1119, "panel " + panel + ": " + columns + " of 1119 columns show the "
                        + (shade == SHADE_95 ? "95 %" : "80 %") + " shade");
            }
        }
    }

    /**
     * {@code demo --irregular}: each day replayed as irregular readings, resampled back to days by the card. The
     * forecaster scores each day's bucket live against its aggregates, and those scores equal the ones computed
     * from the forecast topic against the daily rows, which are PyTorch's.
     */
    @Test
    void shouldScoreTheResampledDaysLiveAsTheForecastTopicScoresThem() throws Exception {
        Demo.Result result = new Demo(new Demo.Options(null, MODEL, reportDir, 0, false, 0, 0, true)).run();

        JsonNode reference = new ObjectMapper().readTree(MODEL.resolve("reference-2015.json").toFile());
        assertEquals(2, result.scores().size());
        for (Evaluation.Score offline : result.scores()) {
            assertEquals(365, offline.count(), offline.key());
            assertEquals(reference.get("cities").get(offline.key()).get("mae_model").doubleValue(), offline.maeModel(),
                    1e-4, offline.key() + ": the daily demo's forecasts");
        }
        // The last day's bucket stays open (no later reading closes it): live scores cover the days up to it.
        assertEquals(2, result.liveScores().size());
        for (Evaluation.Score live : result.liveScores()) {
            Evaluation.Score offline = result.liveComparedWith().stream().filter(s -> s.key().equals(live.key()))
                    .findFirst().orElseThrow();
            assertEquals(364, live.count(), live.key());
            assertEquals(offline.count(), live.count(), live.key());
            assertEquals(offline.maeModel(), live.maeModel(), 1e-6, live.key() + " MAE");
            assertEquals(offline.maePersistence(), live.maePersistence(), 1e-6, live.key() + " persistence MAE");
        }
    }

    private static Evaluation.Score nextDay(String city) {
        return daily.scores().stream().filter(s -> s.key().equals(city)).findFirst().orElseThrow();
    }

    private static IntervalTally interval(String city, int step, double level) {
        return daily.stepScores().stream().filter(s -> s.key().equals(city) && s.step() == step).findFirst()
                .orElseThrow().intervals().get(level);
    }

    /** Each city's temp_max per day, from the bundled CSV the demo replayed. */
    private static Map<String, Map<Long, Double>> actuals() {
        Map<String, Map<Long, Double>> actuals = new HashMap<>();
        for (ObjectNode row : EventFile.read(Path.of("src/main/resources/demo/weather.csv"))) {
            long day = Instant.parse(row.get("date").asText() + "T00:00:00Z").toEpochMilli();
            actuals.computeIfAbsent(row.get("location").asText(), k -> new HashMap<>())
                    .put(day, row.get("temp_max").asDouble());
        }
        return actuals;
    }
}
