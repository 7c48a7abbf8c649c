package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.AccuracyBoard;
import io.carrycast.accuracy.ErrorTally;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.LiveModel;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.Meters;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A challenger model beside the live one: same events, own stores and topic, scored alike, failures its own. */
class ChallengerTest {

    private static final String CHALLENGER_TOPIC = "forecasts-challenger";
    private static final Fixture FIXTURE = Fixture.load("lstm_multi");
    private static final Map<String, String> SCORING = Map.of(CarrycastConfig.SCORING_ENABLED_CONFIG, "true");

    @TempDir
    Path dir;

    private record Run(List<Forecast> live, List<Forecast> challenger, ForecastDriver driver) {
    }

    /** Runs the fixture's events through the live model and, unless null, the challenger in {@code challengerDir}. */
    private Run run(Path challengerDir, String stateName) {
        LiveModel live = LiveModel.open(FIXTURE.directory(), RunnerOptions.defaults(), m -> { });
        try (LiveModel challenger = challengerDir == null ? null
                : LiveModel.open(challengerDir, RunnerOptions.defaults(), m -> { });
             ForecastDriver driver = ForecastDriver.open(live, challenger, FIXTURE.directory(), dir.resolve(stateName),
                     SCORING)) {
            TestOutputTopic<String, Forecast> challengerTopic = driver.driver().createOutputTopic(CHALLENGER_TOPIC,
                    new org.apache.kafka.common.serialization.StringDeserializer(), new ForecastSerde().deserializer());
            driver.send(FIXTURE.interleavedEvents());
            List<Forecast> liveForecasts = Forecasts.values(driver.forecasts());
            assertTrue(driver.deadLetters().isEmpty(), "a challenger's failures are not dead letters");
            return new Run(liveForecasts, Forecasts.values(challengerTopic.readRecordsToList()), driver);
        }
    }

    @Test
    void shouldLeaveTheLiveForecastsIdenticalWhenTheChallengerFailsOnEveryEvent() {
        Path broken = FIXTURE.copyWithCard(dir.resolve("broken"),
                card -> ((ObjectNode) card.get("features").get(0)).put("field", "no_such_field"));

        Run alone = run(null, "alone");
        Run beside = run(broken, "beside");

        assertEquals(alone.live(), beside.live(), "the live model's forecasts, with and without a failing challenger");
        assertEquals(FIXTURE.interleavedEvents().size(), alone.live().size());
        assertTrue(beside.challenger().isEmpty());
        assertEquals(FIXTURE.interleavedEvents().size(),
                Meters.count(beside.driver().registry(), "carrycast.challenger.failures", "kind", "event_missing_feature"), 0.0);
    }

    @Test
    void shouldLeaveTheLiveForecastsIdenticalWhenEveryChallengerModelCallFails() {
        Run alone = run(null, "alone");
        LiveModel live = LiveModel.open(FIXTURE.directory(), RunnerOptions.defaults(), m -> { });
        LiveModel challenger = LiveModel.open(FIXTURE.copyWithCard(dir.resolve("v2"), card -> card.put("version", "2")),
                RunnerOptions.defaults(), m -> { });
        challenger.close(); // every model call on a closed runner throws IllegalStateException
        List<Forecast> beside;
        CarrycastMetrics metrics;
        MeterRegistry registry;
        try (ForecastDriver driver = ForecastDriver.open(live, challenger, FIXTURE.directory(), dir.resolve("beside"),
                SCORING)) {
            driver.send(FIXTURE.interleavedEvents());
            beside = Forecasts.values(driver.forecasts());
            assertTrue(driver.deadLetters().isEmpty());
            metrics = driver.metrics();
            registry = driver.registry();
        }

        assertEquals(alone.live(), beside);
        assertTrue(Meters.count(registry, "carrycast.challenger.failures", "kind", "inference") > 0, "model-call failures counted");
        assertNull(metrics.accuracy().row("fixture-lstm_multi", "2", "load", 1), "nothing of the challenger scored");
    }

    @Test
    void shouldScoreTheChallengerBesideTheLiveModelOnTheSameEvents() {
        Path second = FIXTURE.copyWithCard(dir.resolve("v2"), card -> card.put("version", "2"));

        Run run = run(second, "state");

        assertEquals(run.live().size(), run.challenger().size());
        for (int i = 0; i < run.live().size(); i++) {
            Forecast live = run.live().get(i);
            Forecast challenger = run.challenger().get(i);
            assertEquals("2", challenger.modelVersion());
            assertEquals(live.points(), challenger.points(), "the same model gives the same forecast");
        }
        AccuracyBoard board = run.driver().metrics().accuracy();
        for (String target : List.of("load", "temperature")) {
            for (int step = 1; step <= 3; step++) {
                ErrorTally champion = board.row("fixture-lstm_multi", "1", target, step).sinceStart();
                ErrorTally challenger = board.row("fixture-lstm_multi", "2", target, step).sinceStart();
                assertEquals(champion, challenger, target + " step " + step + ": scored side by side alike");
                assertTrue(champion.count() > 0);
            }
        }
    }

    @Test
    void shouldDeadLetterAnOversizeEventOnceWithoutChargingItToTheChallenger() {
        LiveModel live = LiveModel.open(FIXTURE.directory(), RunnerOptions.defaults(), m -> { });
        try (LiveModel challenger = LiveModel.open(FIXTURE.copyWithCard(dir.resolve("v2"), card -> card.put("version", "2")),
                RunnerOptions.defaults(), m -> { });
             ForecastDriver driver = ForecastDriver.open(live, challenger, FIXTURE.directory(), dir.resolve("state"),
                     Map.of(CarrycastConfig.EVENT_MAX_BYTES_CONFIG, "1000"))) {
            TestOutputTopic<String, Forecast> challengerTopic = driver.driver().createOutputTopic(CHALLENGER_TOPIC,
                    new org.apache.kafka.common.serialization.StringDeserializer(), new ForecastSerde().deserializer());
            driver.sendRaw("k", ("{\"pad\":\"" + "x".repeat(1000) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    0L);

            assertEquals(1, driver.deadLetters().size());
            assertEquals(1.0, Meters.count(driver.registry(), "carrycast.events.dead.lettered", "reason", "too_large"),
                    0.0);
            assertEquals(0.0, Meters.count(driver.registry(), "carrycast.challenger.failures", "kind", "event_too_large"),
                    0.0);
            assertTrue(driver.forecastsWithoutWaiting().isEmpty());
            assertTrue(challengerTopic.readRecordsToList().isEmpty());
        }
    }

    @Test
    void shouldRefuseABrokenChallengerBundleAndCountIt() throws IOException {
        Path broken = FIXTURE.copyTo(dir.resolve("garbage"));
        Files.write(broken.resolve("model.onnx"), new byte[] {1, 2, 3});
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CarrycastMetrics metrics = new CarrycastMetrics(registry);
        CarrycastConfig config = CarrycastConfig.of(Map.of(
                CarrycastConfig.MODEL_DIR_CONFIG, FIXTURE.directory().toString(),
                CarrycastConfig.CHALLENGER_MODEL_DIR_CONFIG, broken.toString(),
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092"));

        assertNull(ChallengerModel.open(config, metrics));
        assertEquals(1.0, Meters.count(registry, "carrycast.challenger.failures", "kind", "bundle"), 0.0);
    }
}
