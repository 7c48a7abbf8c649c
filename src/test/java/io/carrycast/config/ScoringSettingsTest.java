package io.carrycast.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The scoring and challenger settings and the rules between them. */
class ScoringSettingsTest {

    private static CarrycastConfig config(Map<String, Object> extra) {
        Map<String, Object> settings = new HashMap<>(Map.of(CarrycastConfig.MODEL_DIR_CONFIG, "m",
                "bootstrap.servers", "kafka:9092"));
        settings.putAll(extra);
        return CarrycastConfig.of(settings);
    }

    @Test
    void shouldLeaveScoringAndTheChallengerOffByDefault() {
        CarrycastConfig config = config(Map.of());
        assertEquals(false, config.scoringEnabled());
        assertNull(config.scoresTopic());
        assertNull(config.challengerModelDir());
        assertEquals("forecasts-challenger", config.challengerOutputTopic());
    }

    @Test
    void shouldReadTheScoringAndChallengerSettings() {
        CarrycastConfig config = config(Map.of(CarrycastConfig.SCORING_ENABLED_CONFIG, "true",
                CarrycastConfig.SCORING_TOPIC_CONFIG, "scores", CarrycastConfig.CHALLENGER_MODEL_DIR_CONFIG, "c"));
        assertTrue(config.scoringEnabled());
        assertEquals("scores", config.scoresTopic());
        assertEquals(Path.of("c"), config.challengerModelDir());
    }

    @Test
    void shouldRefuseAScoresTopicWithoutScoring() {
        ConfigException refused = assertThrows(ConfigException.class, () -> config(Map.of(
                CarrycastConfig.SCORING_TOPIC_CONFIG, "scores")));
        assertEquals("Invalid value scores for configuration carrycast.scoring.topic: needs "
                + "carrycast.scoring.enabled=true: only scored forecasts have score records", refused.getMessage());
    }

    @Test
    void shouldRefuseAChallengerWritingToTheLiveModelsTopic() {
        ConfigException refused = assertThrows(ConfigException.class, () -> config(Map.of(
                CarrycastConfig.CHALLENGER_MODEL_DIR_CONFIG, "c", CarrycastConfig.CHALLENGER_OUTPUT_TOPIC_CONFIG,
                "forecasts")));
        assertEquals("Invalid value forecasts for configuration carrycast.challenger.output.topic: must differ from "
                + "carrycast.output.topic: the challenger's forecasts must not mix with the live model's",
                refused.getMessage());
    }
}
