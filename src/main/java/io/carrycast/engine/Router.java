package io.carrycast.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Picks each event's route: the first declared route whose rule takes the event, else the default route when one
 * is configured, else none, and the event is refused as {@link Reason#NO_ROUTE}. Judged on every event, by the
 * stream and the backtest alike, so a key follows its rules (and its field) event by event.
 */
public final class Router {

    /** The name of the route that serves {@code carrycast.model.dir}'s bundle beside declared routes. */
    public static final String DEFAULT_ROUTE = "default";

    /** How many keys' routes one {@link Chooser} remembers at most. */
    public static final int KEYS_REMEMBERED = 65_536;

    /**
     * One route.
     *
     * @param rule how it recognises its events; null for the default route
     */
    public record Route(String name, RouteRule rule) {
    }

    private final List<Route> routes;
    /** The distinct fields the rules read, in the order the events' values are read. */
    private final List<String> fields = new ArrayList<>();
    /** Per route, its rule's slot in {@link #fields}, or -1. */
    private final int[] slots;
    private final boolean hasDefault;

    /**
     * @param declared    the declared routes, in the order they are tried
     * @param withDefault whether keys no route takes go to a last route, {@link #DEFAULT_ROUTE}
     */
    public Router(List<Route> declared, boolean withDefault) {
        List<Route> all = new ArrayList<>(declared);
        if (withDefault) {
            all.add(new Route(DEFAULT_ROUTE, null));
        }
        this.routes = List.copyOf(all);
        this.hasDefault = withDefault;
        this.slots = new int[routes.size()];
        for (int r = 0; r < slots.length; r++) {
            String field = routes.get(r).rule() == null ? null : routes.get(r).rule().field();
            if (field != null && !fields.contains(field)) {
                fields.add(field);
            }
            slots[r] = field == null ? -1 : fields.indexOf(field);
        }
    }

    /** Every route, the default one last when there is one; a route's index is its place here. */
    public List<Route> routes() {
        return routes;
    }

    public int size() {
        return routes.size();
    }

    /** The fields the rules read, for {@link EventReader#fields}; empty when only keys are judged. */
    public List<String> fields() {
        return List.copyOf(fields);
    }

    /**
     * A chooser for one caller (a stream task, a backtest), not to be shared between threads. When the rules read
     * no field and one of them is a regular expression, a key's route cannot change while the process runs, so
     * the chooser judges each key once and remembers its route, for up to {@link #KEYS_REMEMBERED} keys (about
     * 100 bytes of heap each, the key included); a key beyond those is judged on every event. Prefix rules cost
     * less than the lookup and field rules are judged per event, so those choosers remember nothing.
     */
    public Chooser chooser() {
        boolean keyOnly = fields.isEmpty()
                && routes.stream().anyMatch(route -> route.rule() != null && route.rule().isRegularExpression());
        return new Chooser(keyOnly ? new HashMap<>() : null);
    }

    /** Chooses events' routes for one caller; see {@link #chooser()}. */
    public final class Chooser {
        /** Each remembered key's route index; null when nothing is remembered. */
        private final Map<String, Integer> remembered;

        private Chooser(Map<String, Integer> remembered) {
            this.remembered = remembered;
        }

        /**
         * The index of the event's route.
         *
         * @param values the event's values of {@link #fields()}, in that order (the stream's read); null when
         *               the rules read no field
         * @throws InvalidEventException as {@link Reason#NO_KEY} or {@link Reason#NO_ROUTE}
         */
        public int choose(String key, EventReader.Values values) {
            return chooseRemembered(key, slot -> values.node(slot));
        }

        /** As {@link #choose(String, EventReader.Values)}, for a parsed event (a file's row). */
        public int choose(String key, ObjectNode event) {
            return chooseRemembered(key, slot -> event.get(fields.get(slot)));
        }

        private int chooseRemembered(String key, IntFunction<JsonNode> fieldValue) {
            ForecastEngine.requireKey(key);
            if (remembered == null) {
                return judge(key, fieldValue);
            }
            Integer known = remembered.get(key);
            if (known != null) {
                return known;
            }
            int route = judge(key, fieldValue);
            if (remembered.size() < KEYS_REMEMBERED) {
                remembered.put(key, route);
            }
            return route;
        }
    }

    /** The first route whose rule takes the event, else the default route. */
    private int judge(String key, IntFunction<JsonNode> fieldValue) {
        for (int r = 0; r < routes.size(); r++) {
            RouteRule rule = routes.get(r).rule();
            if (rule == null || rule.matches(key, slots[r] < 0 ? null : fieldValue.apply(slots[r]))) {
                return r;
            }
        }
        throw new InvalidEventException(Reason.NO_ROUTE, "key '" + key + "'" + fieldsSaid(fieldValue)
                + " matches no route (" + rulesSaid() + ") and no default route is configured "
                + "(carrycast.model.dir is unset)");
    }

    private String fieldsSaid(IntFunction<JsonNode> fieldValue) {
        StringBuilder said = new StringBuilder();
        for (int slot = 0; slot < fields.size(); slot++) {
            JsonNode value = fieldValue.apply(slot);
            said.append(slot == 0 ? " with " : ", ").append(fields.get(slot)).append('=')
                    .append(value == null ? "(absent)" : value.toString());
        }
        return said.toString();
    }

    private String rulesSaid() {
        StringBuilder said = new StringBuilder();
        for (Route route : routes) {
            said.append(said.length() == 0 ? "" : ", ").append(route.name()).append(": ").append(route.rule());
        }
        return said.toString();
    }

    public boolean hasDefault() {
        return hasDefault;
    }
}
