package io.carrycast.topology;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.LiveModel;
import io.carrycast.metrics.CarrycastMetrics;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the challenger's model, when one is configured, without letting a bad bundle stop the live model. */
public final class ChallengerModel {

    private static final Logger LOG = LoggerFactory.getLogger(ChallengerModel.class);

    private ChallengerModel() {
    }

    /**
     * The challenger's live (reloadable) model, or null when none is configured or its bundle cannot serve: then
     * the failure is logged once and counted as {@code carrycast.challenger.failures{kind="bundle"}}, and the
     * application runs the live model alone.
     */
    public static LiveModel open(CarrycastConfig config, CarrycastMetrics metrics) {
        Path dir = config.challengerModelDir();
        if (dir == null) {
            return null;
        }
        try {
            LiveModel challenger = LiveModel.open(dir, config.runnerOptions(), config::requireServable,
                    served -> LOG.info("Challenger: model {} version {} from {}, forecasts to topic {}",
                            served.card().name(), served.card().version(), dir, config.challengerOutputTopic()));
            return challenger;
        } catch (RuntimeException e) {
            metrics.challengerFailure("bundle");
            LOG.error("Challenger model in {} cannot serve; running the live model alone: {}", dir, e.getMessage());
            return null;
        }
    }
}
