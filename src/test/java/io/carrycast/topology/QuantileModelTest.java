package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.accuracy.AccuracyBoard;
import io.carrycast.accuracy.IntervalTally;
import io.carrycast.accuracy.Intervals;
import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.bundle.InvalidModelException;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.LiveModel;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.Meters;
import io.carrycast.testing.QuantileReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A quantile-head model through the topology: the published values are PyTorch's medians and the intervals its
 * quantile pairs, every rollout step fed by the medians, within 1e-5; live scoring scores those intervals and
 * their pinball loss as computed here from the definitions.
 */
class QuantileModelTest {

    private static final String SCORES = "scores";
    private static final String ANOMALIES = "anomalies";
    private static final String MODEL = "fixture-quantile_lstm";

    @TempDir
    Path stateDir;

    @Test
    void shouldPublishPyTorchsMediansAsValuesAndItsQuantilesAsIntervalsRollingOutOnTheMedians() {
        Fixture fixture = Fixture.load(QuantileReference.MODEL);
        Map<String, List<Forecast>> byKey;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of())) {
            driver.send(fixture.interleavedEvents());
            byKey = Forecasts.byKey(driver.forecasts());
        }

        assertEquals(3, byKey.size());
        double largest = QuantileReference.assertSameQuantiles(fixture, byKey);
        System.out.printf("quantile_lstm through the topology: largest difference from PyTorch %.3g%n", largest);
        Forecast.Point rolled = byKey.get("Seattle").get(0).points().get(2);
        assertTrue(rolled.rollout(), "step 3 comes from rollout");
        assertTrue(rolled.intervals().get(0).lower().get("temp_max") < rolled.values().get("temp_max"));
    }

    @Test
    void shouldScoreTheModelsIntervalsAndPinballLossWithoutIntervalLevels() throws Exception {
        Fixture fixture = Fixture.load(QuantileReference.MODEL);
        List<Fixture.Event> events = fixture.interleavedEvents();
        List<Forecast> forecasts;
        List<Score> scores = new ArrayList<>();
        AccuracyBoard board;
        double pinballSum;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.scoring.enabled", "true", "carrycast.scoring.topic", SCORES))) {
            TestOutputTopic<String, byte[]> scoreTopic = driver.driver().createOutputTopic(SCORES,
                    new StringDeserializer(), new ByteArrayDeserializer());
            driver.send(events);
            forecasts = Forecasts.values(driver.forecasts());
            scoreTopic.readRecordsToList().forEach(record -> scores.add(ScoreJson.read(record.value())));
            board = driver.metrics().accuracy();
            pinballSum = Meters.count(driver.registry(), "carrycast.accuracy.pinball");
        }

        List<QuantileReference.Due> due = QuantileReference.due(events, forecasts);
        assertEquals(3 * 2 * (29 + 28 + 27), due.size(), "3 keys, 2 targets, 30 events: 29 + 28 + 27 steps due");
        assertEquals(due.size(), scores.size(), "one score record per value due");
        Map<String, IntervalTally> intervals = new HashMap<>();
        Map<String, double[]> pinball = new HashMap<>();
        double expectedPinballSum = 0;
        for (QuantileReference.Due value : due) {
            String cell = value.target() + "/" + value.step();
            Score.Range range = value.range();
            intervals.merge(cell, IntervalTally.EMPTY.add(range, value.actual()),
                    (sum, one) -> sum.add(range, value.actual()));
            pinball.computeIfAbsent(cell, c -> new double[2])[0] += value.pinball();
            pinball.get(cell)[1]++;
            expectedPinballSum += value.pinball();
            assertScoreRecord(value, scores);
        }
        for (String target : QuantileReference.TARGETS) {
            for (int step = 1; step <= 3; step++) {
                String cell = target + "/" + step;
                AccuracyBoard.Row row = board.row(MODEL, "1", target, step);
                IntervalTally want = intervals.get(cell);
                IntervalTally got = row.intervals().get(QuantileReference.LEVEL);
                assertEquals(want.count(), got.count(), cell + ": values with an interval");
                assertEquals(want.covered(), got.covered(), cell + ": actuals inside");
                // Summed in another order than the stream's: equal to 1e-12 of the sum.
                assertEquals(want.widthSum(), got.widthSum(), 1e-12 * want.widthSum(), cell + ": width");
                assertEquals(want.winklerSum(), got.winklerSum(), 1e-12 * want.winklerSum(), cell + ": winkler");
                assertEquals(pinball.get(cell)[1], row.pinball().count(), cell + ": values with a pinball loss");
                assertEquals(pinball.get(cell)[0] / pinball.get(cell)[1], row.pinball().mean(), 1e-12,
                        cell + ": mean pinball loss");
            }
        }
        assertEquals(expectedPinballSum, pinballSum, 1e-9, "carrycast_accuracy_pinball_total over every cell");
        JsonNode rows = new ObjectMapper().readTree(board.toJson("here")).get("rows");
        assertEquals(board.row(MODEL, "1", "temp_min", 2).pinball().mean(), rows.get(4).get("pinball").doubleValue(),
                0.0, "GET /accuracy: temp_min step 2's pinball loss");
        assertEquals(0.8, rows.get(4).get("intervals").get(0).get("level").doubleValue(), 0.0);
    }

    /** The value's score record: its published bounds, whether covered, its interval score and pinball loss. */
    private static void assertScoreRecord(QuantileReference.Due value, List<Score> scores) {
        long targetTime = value.forecast().points().get(value.step() - 1).targetTimeMs();
        Score score = scores.stream().filter(s -> s.key().equals(value.forecast().key())
                && s.madeAtMs() == value.forecast().eventTimeMs() && s.targetTimeMs() == targetTime
                && s.target().equals(value.target())).findFirst().orElseThrow();
        Score.Range range = value.range();
        assertEquals(value.median(), score.forecast(), 0.0, "the median is the scored value");
        assertEquals(List.of(range), score.ranges(), "the bounds as published");
        assertEquals(value.pinball(), score.pinball(), 1e-12, "pinball loss");
        assertTrue(score.quantiles());
    }

    @Test
    void shouldRefuseAQuantileModelWhileIntervalLevelsAreSet() {
        Fixture fixture = Fixture.load(QuantileReference.MODEL);
        CarrycastConfig config = CarrycastConfig.of(Map.of(CarrycastConfig.MODEL_DIR_CONFIG,
                fixture.directory().toString(), "bootstrap.servers", "kafka:9092", "carrycast.scoring.enabled", "true",
                CarrycastConfig.INTERVALS_LEVELS_CONFIG, "0.8,0.95"));

        InvalidModelException refused = assertThrows(InvalidModelException.class, () -> LiveModel.open(
                fixture.directory(), RunnerOptions.defaults(), config::requireServable, served -> { }).close());

        assertEquals(fixture.directory().resolve("model.json") + ": field 'targets[0].quantiles' declares quantiles "
                + "[0.1, 0.5, 0.9] while carrycast.intervals.levels is set to [0.8, 0.95]: a quantile model's "
                + "intervals come from the model; leave carrycast.intervals.levels empty to serve it",
                refused.getMessage());
    }

    /**
     * Without interval levels, an actual outside a quantile model's highest interval (0.8, from its 0.1 and 0.9
     * quantiles) is an anomaly: one record and one count each, and no other.
     */
    @Test
    void shouldReportEachActualOutsideTheModelsHighestIntervalAsAnAnomaly() throws Exception {
        Fixture fixture = Fixture.load(QuantileReference.MODEL);
        List<Fixture.Event> events = fixture.interleavedEvents();
        List<Forecast> forecasts;
        List<JsonNode> anomalies = new ArrayList<>();
        double counted;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of(
                "carrycast.scoring.enabled", "true", "carrycast.intervals.anomaly.topic", ANOMALIES))) {
            TestOutputTopic<String, byte[]> anomalyTopic = driver.driver().createOutputTopic(ANOMALIES,
                    new StringDeserializer(), new ByteArrayDeserializer());
            driver.send(events);
            forecasts = Forecasts.values(driver.forecasts());
            ObjectMapper json = new ObjectMapper();
            for (var record : anomalyTopic.readRecordsToList()) {
                anomalies.add(json.readTree(record.value()));
            }
            counted = Meters.count(driver.registry(), "carrycast.anomalies", "level", "0.8");
        }

        List<String> expected = new ArrayList<>();
        for (QuantileReference.Due value : QuantileReference.due(events, forecasts)) {
            if (!value.range().covers(value.actual())) {
                expected.add(value.forecast().key() + "/" + value.forecast().eventTimeMs() + "/" + value.step() + "/"
                        + value.target() + "/" + value.range().lower() + "/" + value.range().upper());
            }
        }
        List<String> reported = new ArrayList<>();
        for (JsonNode anomaly : anomalies) {
            assertEquals(0.8, anomaly.get("level").doubleValue(), 0.0);
            reported.add(anomaly.get("key").textValue() + "/"
                    + java.time.Instant.parse(anomaly.get("made_at").textValue()).toEpochMilli() + "/"
                    + anomaly.get("step").intValue() + "/" + anomaly.get("target").textValue() + "/"
                    + anomaly.get("lower").doubleValue() + "/" + anomaly.get("upper").doubleValue());
        }
        java.util.Collections.sort(expected);
        java.util.Collections.sort(reported);
        assertTrue(expected.size() > 20, "actuals outside the 0.8 interval: " + expected.size());
        assertEquals(expected, reported);
        assertEquals(expected.size(), counted, 0.0, "counted at level 0.8");
    }

    @Test
    void shouldRefuseAnomalySettingsWithoutLevelsForAModelWithoutQuantiles() {
        Fixture fixture = Fixture.load("lstm");
        CarrycastConfig config = CarrycastConfig.of(Map.of(CarrycastConfig.MODEL_DIR_CONFIG,
                fixture.directory().toString(), "bootstrap.servers", "kafka:9092", "carrycast.scoring.enabled", "true",
                CarrycastConfig.INTERVALS_ANOMALY_TOPIC_CONFIG, ANOMALIES));

        InvalidModelException refused = assertThrows(InvalidModelException.class, () -> LiveModel.open(
                fixture.directory(), RunnerOptions.defaults(), config::requireServable, served -> { }).close());

        assertEquals(fixture.directory().resolve("model.json") + ": declares no quantiles, and "
                + "carrycast.intervals.anomaly.topic 'anomalies' or carrycast.intervals.anomaly.level 0.0 is set without "
                + "carrycast.intervals.levels: an anomaly is an actual outside an interval, and this model's forecasts "
                + "have none", refused.getMessage());
    }

    @Test
    void shouldRefuseAnAnomalyLevelThatIsNoneOfTheQuantileModelsLevels() {
        Fixture fixture = Fixture.load(QuantileReference.MODEL);
        CarrycastConfig config = CarrycastConfig.of(Map.of(CarrycastConfig.MODEL_DIR_CONFIG,
                fixture.directory().toString(), "bootstrap.servers", "kafka:9092", "carrycast.scoring.enabled", "true",
                CarrycastConfig.INTERVALS_ANOMALY_LEVEL_CONFIG, "0.9"));

        InvalidModelException refused = assertThrows(InvalidModelException.class, () -> LiveModel.open(
                fixture.directory(), RunnerOptions.defaults(), config::requireServable, served -> { }).close());

        assertEquals(fixture.directory().resolve("model.json") + ": field 'targets[0].quantiles' [0.1, 0.5, 0.9] "
                + "gives the interval levels [0.8]; carrycast.intervals.anomaly.level 0.9 must be one of them, or 0 "
                + "for the highest", refused.getMessage());
    }

    @Test
    void shouldKeepServingTheCurrentModelWhenASwapBringsAQuantileModelBesideIntervalLevels() throws Exception {
        Path modelDir = Fixture.load("lstm").copyTo(stateDir.resolve("model"));
        Intervals intervals = new Intervals(new double[] {0.9}, 50);
        try (LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), intervals::requireServable,
                served -> { })) {
            Path quantiles = Fixture.load(QuantileReference.MODEL).directory();
            for (String file : List.of("model.onnx", "model.json")) {
                Files.copy(quantiles.resolve(file), modelDir.resolve(file),
                        StandardCopyOption.REPLACE_EXISTING);
                Files.setLastModifiedTime(modelDir.resolve(file),
                        FileTime.fromMillis(System.currentTimeMillis() + 5000));
            }

            assertEquals(false, live.reloadIfChanged(), "refused");
            assertEquals("fixture-lstm", live.current().card().name(), "still serving the model before");
        }
    }
}
