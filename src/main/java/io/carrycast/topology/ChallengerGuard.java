package io.carrycast.topology;

import io.carrycast.forecast.InvalidEventException;
import io.carrycast.metrics.CarrycastMetrics;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the challenger's failures away from the live model: whatever the challenger's node throws (an event
 * it cannot read, an inference error) is caught, counted ({@code carrycast.challenger.failures}) and logged
 * once per kind, and the record goes on to nothing else. The live model's node never passes through here.
 */
final class ChallengerGuard {

    private static final Logger LOG = LoggerFactory.getLogger(ChallengerGuard.class);

    private final CarrycastMetrics metrics;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    ChallengerGuard(CarrycastMetrics metrics) {
        this.metrics = metrics;
    }

    /** Runs the work inside {@code guard}, or as it is when there is none (the live model's). */
    static void containedBy(ChallengerGuard guard, Runnable work) {
        if (guard == null) {
            work.run();
        } else {
            guard.contain(work);
        }
    }

    /** Runs the challenger's work; a failure is counted and logged once per kind, never thrown. */
    void contain(Runnable work) {
        try {
            work.run();
        } catch (RuntimeException failure) {
            String kind = failure instanceof InvalidEventException invalid
                    ? "event_" + invalid.reason().name().toLowerCase(Locale.ROOT) : "inference";
            metrics.challengerFailure(kind);
            if (logged.add(kind)) {
                LOG.error("Challenger failed ({}); the live model is unaffected, the challenger skips this and "
                        + "goes on (further failures of this kind are counted in carrycast.challenger.failures, "
                        + "not logged)", kind, failure);
            }
        }
    }
}
