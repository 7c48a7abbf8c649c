package io.carrycast.backtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled weather model rolled out a week over the bundled dataset, scored per step on 2015, against
 * the same rollout by a plain PyTorch loop ({@code reference-rollout-2015.json}, written by
 * {@code tools/rollout_reference.py weather}).
 */
class WeatherRolloutTest {

    private static final Path MODEL = Path.of("config/models/weather-lstm");
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * In °C. The reference is rounded to 6 decimals; ONNX Runtime's float32 steps and PyTorch's agreed within
     * 2e-6 at every step when this test was written, seven steps of feeding forecasts back included.
     */
    private static final double TOLERANCE = 1e-5;

    @TempDir
    Path dir;

    @Test
    void shouldScoreEachRolloutStepAsAPlainPyTorchLoopDoes() throws IOException, URISyntaxException {
        JsonNode reference = JSON.readTree(MODEL.resolve("reference-rollout-2015.json").toFile());
        Path bundle = withCard(card -> card.set("rollout", reference.get("rollout")));
        long from = LocalDate.of(2015, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long until = LocalDate.of(2016, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        List<Forecast> forecasts = new ArrayList<>();
        Backtest.Result result;
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(ModelBundle.load(bundle), RunnerOptions.defaults())) {
            Forecaster forecaster = new Forecaster(runner);
            Evaluation evaluation = new Evaluation(forecaster.card(), t -> t >= from && t < until);
            result = new Backtest(forecaster, new EventReader("date", TimestampFormat.of("iso"), Integer.MAX_VALUE),
                    "location", Admission.GapRule.NONE).run(EventFile.read(weatherCsv()), evaluation, forecasts::add);
        }

        assertEquals(2 * 1461, forecasts.size());
        forecasts.forEach(forecast -> assertEquals(7, forecast.points().size()));
        assertEquals(14, result.scores().size(), "two cities x seven steps");
        for (Evaluation.Score score : result.scores()) {
            JsonNode expected = reference.get("cities").get(score.key()).get(score.step() - 1);
            String where = score.key() + " step " + score.step();
            assertEquals(expected.get("step").intValue(), score.step(), where);
            assertEquals(expected.get("n").intValue(), score.count(), where);
            assertEquals(expected.get("mae_model").doubleValue(), score.maeModel(), TOLERANCE, where);
            assertEquals(expected.get("rmse_model").doubleValue(), score.rmseModel(), TOLERANCE, where);
            assertEquals(expected.get("mae_persistence").doubleValue(), score.maePersistence(), 1e-6, where);
            assertEquals(expected.get("rmse_persistence").doubleValue(), score.rmsePersistence(), 1e-6, where);
        }
    }

    private Path withCard(java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path bundle = Files.createDirectories(dir.resolve("weather-rollout"));
        Files.copy(MODEL.resolve(ModelBundle.MODEL_FILE), bundle.resolve(ModelBundle.MODEL_FILE));
        ObjectNode card = (ObjectNode) JSON.readTree(MODEL.resolve(ModelBundle.CARD_FILE).toFile());
        edit.accept(card);
        Files.writeString(bundle.resolve(ModelBundle.CARD_FILE), JSON.writeValueAsString(card));
        return bundle;
    }

    private static Path weatherCsv() throws URISyntaxException {
        return Path.of(WeatherRolloutTest.class.getResource("/demo/weather.csv").toURI());
    }
}
