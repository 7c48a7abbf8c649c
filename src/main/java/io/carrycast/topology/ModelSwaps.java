package io.carrycast.topology;

import io.carrycast.engine.ForecastEngine;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LiveModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows one processor's live model: when it was swapped, the processor's engine serves the new one, once the
 * events admitted under the old model are stepped by it; the old one is let go. A resampling model an engine
 * without bucket stores cannot serve is refused, and its refusal logged once.
 */
final class ModelSwaps {

    private static final Logger LOG = LoggerFactory.getLogger(ModelSwaps.class);

    private final LiveModel live;
    /** A resampling model this instance cannot serve (no bucket stores), once its refusal is logged. */
    private Forecaster refusedSwap;

    ModelSwaps(LiveModel live) {
        this.live = live;
    }

    /** @param stepWaiting steps the events admitted under the engine's model so far */
    void follow(ForecastEngine engine, Runnable stepWaiting) {
        if (live.current() == engine.model()) {
            return;
        }
        Forecaster latest = live.acquire();
        if (!engine.canServe(latest)) {
            live.release(latest);
            if (refusedSwap != latest) {
                refusedSwap = latest;
                LOG.error("Model card '{}' resamples, but this instance started with a card that does not and has no "
                        + "bucket stores; it keeps serving '{}' until restarted", latest.card().name(),
                        engine.model().card().name());
            }
            return;
        }
        stepWaiting.run();
        Forecaster previous = engine.model();
        engine.serve(latest);
        live.release(previous);
    }
}
