package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.accuracy.AccuracyBoard;
import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.Meters;
import io.carrycast.testing.ReferenceScores;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Live scoring in the topology: each forecast value scored when its actual arrives, exactly as the plain
 * definition ({@link ReferenceScores}) scores the forecasts the topology wrote; skipped target times counted.
 */
class LiveScoringTest {

    private static final String SCORES = "scores";
    private static final Fixture FIXTURE = Fixture.load("lstm_multi");
    private static final List<String> TARGETS = List.of("load", "temperature");
    private static final String MODEL = "fixture-lstm_multi";

    @TempDir
    Path stateDir;

    private record Run(List<Forecast> forecasts, Map<String, Score> scores, AccuracyBoard board,
                       MeterRegistry registry) {
    }

    private Run run(List<Fixture.Event> events, String batch) {
        try (ForecastDriver driver = ForecastDriver.open(FIXTURE.directory(), stateDir, Map.of(
                CarrycastConfig.SCORING_ENABLED_CONFIG, "true", CarrycastConfig.SCORING_TOPIC_CONFIG, SCORES,
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, batch))) {
            TestOutputTopic<String, byte[]> scoreTopic = driver.driver().createOutputTopic(SCORES,
                    new StringDeserializer(), new ByteArrayDeserializer());
            driver.send(events);
            List<Forecast> forecasts = Forecasts.values(driver.forecasts());
            Map<String, Score> scores = new TreeMap<>();
            scoreTopic.readRecordsToList().forEach(record -> {
                Score score = ScoreJson.read(record.value());
                assertEquals(record.key(), score.key(), "a score record is keyed by its series");
                assertEquals(score.targetTimeMs(), record.timestamp(), "a score record is stamped with its target time");
                assertEquals(null, scores.put(ReferenceScores.keyOf(score), score), "scored once: " + score);
            });
            return new Run(forecasts, scores, driver.metrics().accuracy(), driver.registry());
        }
    }

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(strings = {"1", "256"})
    void shouldScoreEveryForecastValueExactlyAsTheDefinitionDoes(String batch) {
        List<Fixture.Event> events = FIXTURE.interleavedEvents();
        Run run = run(events, batch);

        List<Score> expected = ReferenceScores.of(events, run.forecasts(), TARGETS);
        // 3 keys x 24 hourly events, horizon 3: forecasts at events 1-21 have all three steps' actuals, 22 two, 23 one.
        assertEquals(3 * (21 * 3 + 2 + 1) * TARGETS.size(), expected.size());
        assertEquals(expected.size(), run.scores().size(), "one score record per forecast value with an actual");
        for (Score want : expected) {
            Score got = run.scores().get(ReferenceScores.keyOf(want));
            assertNotNull(got, "score of " + ReferenceScores.keyOf(want));
            assertEquals(want, got, "the same forecast, actual, persistence and model, to the last bit");
            assertEquals(want.forecast() - want.actual(), got.error(), 0.0);
        }
        for (String target : TARGETS) {
            for (int step = 1; step <= 3; step++) {
                assertTalliesMatch(run.board(), expected, target, step);
            }
        }
    }

    @Test
    void shouldCountSkippedTargetTimesAndNotScoreThem() {
        List<Fixture.Event> events = new ArrayList<>(FIXTURE.interleavedEvents());
        Fixture.Event missing = FIXTURE.events("sensor-a").get(5);
        assertTrue(events.remove(missing));

        Run run = run(events, "256");

        assertFalse(run.scores().values().stream().anyMatch(s -> s.key().equals("sensor-a")
                && s.targetTimeMs() == missing.timeMs()), "nothing scored against an event never sent");
        // The forecasts made at events 2, 3 and 4 targeted event 5's time at steps 3, 2 and 1.
        for (String target : TARGETS) {
            for (int step = 1; step <= 3; step++) {
                assertEquals(1.0, Meters.count(run.registry(), "carrycast.accuracy.skipped", "model", MODEL,
                        "version", "1", "target", target, "step", String.valueOf(step)), target + " step " + step);
            }
        }
        List<Score> expected = ReferenceScores.of(events, run.forecasts(), TARGETS);
        assertEquals(expected.size(), run.scores().size());
        for (Score want : expected) {
            assertEquals(want, run.scores().get(ReferenceScores.keyOf(want)));
        }
    }

    private static void assertTalliesMatch(AccuracyBoard board, List<Score> expected, String target, int step) {
        List<Score> cell = expected.stream().filter(s -> s.target().equals(target) && s.step() == step).toList();
        double abs = cell.stream().mapToDouble(s -> Math.abs(s.error())).sum();
        double squared = cell.stream().mapToDouble(s -> s.error() * s.error()).sum();
        double persistence = cell.stream().mapToDouble(s -> Math.abs(s.persistenceError())).sum();
        AccuracyBoard.Row row = board.row(MODEL, "1", target, step);
        String where = target + " step " + step;
        assertEquals(cell.size(), row.sinceStart().count(), where);
        assertEquals(abs / cell.size(), row.sinceStart().mae(), 1e-9, where + " MAE");
        assertEquals(Math.sqrt(squared / cell.size()), row.sinceStart().rmse(), 1e-9, where + " RMSE");
        assertEquals(persistence / cell.size(), row.sinceStart().persistenceMae(), 1e-9, where + " persistence MAE");
        assertEquals(1 - abs / persistence, row.sinceStart().skill(), 1e-9, where + " skill");
        assertEquals(cell.size(), row.recent().count(), where + ": all scored within the recent window");
    }
}
