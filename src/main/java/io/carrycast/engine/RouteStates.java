package io.carrycast.engine;

import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.Forecaster;
import io.carrycast.state.KeyState;
import io.carrycast.state.StatePreparation;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which route's model wrote each key's stored state, told by the model fingerprint the state records. The routes
 * of one deployment share the key-state store, so a key that moves to another route (its rules changed at a
 * restart, or its field changed) finds the state its former route's model wrote; its new route's engine then
 * starts it over ({@link Origin#arriving}) instead of continuing a state another model wrote, even one of the
 * same shape. Routes that serve the same model file share its states: the state is that model's, whichever of
 * them stepped it, so a key moving between them carries on. Shared by every engine of the deployment, across
 * stream threads.
 */
public final class RouteStates {

    /**
     * The routes that served one model, and the card the last of them loaded it with. Replaced, never changed, so
     * the per-event check reads it without a lock.
     *
     * @param routes by route index, whether that route served the model
     */
    private record Writers(boolean[] routes, ModelCard lastCard) {

        Writers with(int route, ModelCard card) {
            boolean[] more = Arrays.copyOf(routes, Math.max(routes.length, route + 1));
            more[route] = true;
            return new Writers(more, card);
        }

        boolean includes(int route) {
            return route < routes.length && routes[route];
        }
    }

    /** Every model a route served in this process, by fingerprint. */
    private final Map<Long, Writers> writers = new ConcurrentHashMap<>();

    /** What the engine of route {@code route} (its index in the {@link Router}), named {@code name}, consults. */
    public Origin forRoute(int route, String name) {
        return new Origin(route, name);
    }

    /** One route's view of the stored states. */
    public final class Origin {
        private final int route;
        private final String name;

        private Origin(int route, String name) {
            this.route = route;
            this.name = name;
        }

        /** The route's name, which its forecasts carry in their {@code carrycast.route} header. */
        public String name() {
            return name;
        }

        /** Records that this route serves {@code model} from now on: states it writes are this route's. */
        void serving(Forecaster model) {
            ModelCard card = model.card();
            writers.merge(model.runner().bundle().fingerprint(), new Writers(new boolean[0], card).with(route, card),
                    (served, first) -> served.with(route, card));
        }

        /**
         * How a key whose state {@code stored} was written by another route's model starts on this route: rebuilt
         * from its stored window when that route's card kept one of the very features {@code serving} reads, else
         * reset with no window.
         *
         * @return null when the state is this route's, or written by a model this route served too (the same file
         *         on another route), or by a model no route served in this process, which the usual admission rules
         *         judge, as after a restart
         */
        StatePreparation arriving(KeyState stored, Forecaster serving) {
            Writers wrote = writers.get(stored.modelFingerprint());
            if (wrote == null || wrote.includes(route)) {
                return null;
            }
            ModelCard before = wrote.lastCard();
            boolean windowUsable = before.keepsWindow() && before.features().equals(serving.card().features());
            return windowUsable ? StatePreparation.REBUILD_FOR_MODEL : StatePreparation.RESET_FOR_ROUTE;
        }
    }
}
