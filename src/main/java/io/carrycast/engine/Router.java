package io.carrycast.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * Picks each event's route: the first declared route whose rule takes the event, else the default route when one
 * is configured, else none, and the event is refused as {@link Reason#NO_ROUTE}. Judged on every event, by the
 * stream and the backtest alike, so a key follows its rules (and its field) event by event.
 */
public final class Router {

    /** The name of the route that serves {@code carrycast.model.dir}'s bundle beside declared routes. */
    public static final String DEFAULT_ROUTE = "default";

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
     * The index of the event's route.
     *
     * @param values the event's values of {@link #fields()}, in that order (the stream's read)
     * @throws InvalidEventException as {@link Reason#NO_KEY} or {@link Reason#NO_ROUTE}
     */
    public int choose(String key, EventReader.Values values) {
        return choose(key, slot -> values.node(slot));
    }

    /** As {@link #choose(String, EventReader.Values)}, for a parsed event (a file's row). */
    public int choose(String key, ObjectNode event) {
        return choose(key, slot -> event.get(fields.get(slot)));
    }

    private int choose(String key, IntFunction<JsonNode> fieldValue) {
        ForecastEngine.requireKey(key);
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
