package io.carrycast.engine;

import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.Forecaster;
import io.carrycast.state.KeyState;
import io.carrycast.state.StatePreparation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

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

    private record Writer(int route, ModelCard card) {
    }

    /** Every model a route served in this process, by fingerprint: the routes (one or several) and their cards. */
    private final Map<Long, CopyOnWriteArrayList<Writer>> writers = new ConcurrentHashMap<>();

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
            writers.computeIfAbsent(model.runner().bundle().fingerprint(), fingerprint -> new CopyOnWriteArrayList<>())
                    .addIfAbsent(new Writer(route, model.card()));
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
            List<Writer> wrote = writers.get(stored.modelFingerprint());
            if (wrote == null) {
                return null;
            }
            for (Writer writer : wrote) {
                if (writer.route() == route) {
                    return null;
                }
            }
            ModelCard before = wrote.get(wrote.size() - 1).card();
            boolean windowUsable = before.keepsWindow() && before.features().equals(serving.card().features());
            return windowUsable ? StatePreparation.REBUILD_FOR_MODEL : StatePreparation.RESET_FOR_ROUTE;
        }
    }
}
