package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.backtest.Evaluation;
import io.carrycast.demo.Demo;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main command, end to end: its 2015 scores are PyTorch's, computed from Kafka's output. */
class DemoIT {

    private static final Path MODEL = Path.of("config/models/weather-lstm");

    @TempDir
    Path reportDir;

    @Test
    void shouldScoreTheForecastsConsumedFromKafkaAsPyTorchDid() throws Exception {
        Demo.Result result = new Demo(new Demo.Options(null, MODEL, reportDir, 0, false, 0)).run();

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
}
