package io.carrycast.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.Forecast;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The intervals fixture ({@code fixtures/intervals}, written by {@code tools/interval_reference.py}): three keys
 * of the {@code lstm_multi} fixture's fields with the same signal and different noise (calm, medium, noisy),
 * hourly, two of the noisy key's events delivered after the next one (late), and, per forecast published for
 * them in order, the bounds the Python loop computes from the definition.
 */
public final class IntervalReference {

    /** The model the fixture's forecasts come from. */
    public static final String MODEL = "lstm_multi";
    public static final String KEY_FIELD = "series";
    public static final List<String> TARGETS = List.of("load", "temperature");
    /** Both bounds are value ± a float32 error, computed the same way: they agree far within this. */
    public static final double TOLERANCE = 1e-6;
    /** The settings the reference was computed with. */
    public static final Map<String, String> SETTINGS = Map.of("carrycast.scoring.enabled", "true",
            "carrycast.intervals.levels", "0.8,0.95", "carrycast.intervals.window", "40",
            "carrycast.lateness.allowed.ms", "10800000", "carrycast.batch.max.size", "1");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Fixture.Event> events;
    private final JsonNode expected;

    private IntervalReference(List<Fixture.Event> events, JsonNode expected) {
        this.events = events;
        this.expected = expected;
    }

    /**
     * The reference for the {@code resample_carry} fixture's events in time order, with levels 0.5 and 0.8
     * over a window of 5 errors: each step's actual is the aggregate of the bucket starting at its target time,
     * as {@code tools/resample_reference.py} computed it.
     */
    public static IntervalReference resampled() {
        Fixture fixture = Fixture.load("resample_carry");
        List<Fixture.Event> events = fixture.eventsInTimeOrder();
        events.forEach(event -> event.value().put(KEY_FIELD, event.key()));
        try {
            Path file = Path.of(IntervalReference.class.getResource("/fixtures/intervals/resample_carry.json").toURI());
            return new IntervalReference(events, JSON.readTree(file.toFile()));
        } catch (URISyntaxException | IOException e) {
            throw new UncheckedIOException(new IOException("the resampled intervals fixture cannot be read", e));
        }
    }

    public static IntervalReference load() {
        try {
            Path directory = Path.of(IntervalReference.class.getResource("/fixtures/intervals").toURI());
            List<Fixture.Event> events = new ArrayList<>();
            for (String line : Files.readAllLines(directory.resolve("events.jsonl"))) {
                ObjectNode value = (ObjectNode) JSON.readTree(line);
                events.add(new Fixture.Event(value.get(KEY_FIELD).textValue(),
                        Instant.parse(value.get("time").textValue()).toEpochMilli(), value));
            }
            return new IntervalReference(events, JSON.readTree(directory.resolve("expected.json").toFile()));
        } catch (URISyntaxException | IOException e) {
            throw new UncheckedIOException(new IOException("the intervals fixture cannot be read", e));
        }
    }

    /** The events in the order they are sent. */
    public List<Fixture.Event> events() {
        return events;
    }

    /** The reference's forecasts of each key, in the order published. */
    public Map<String, List<JsonNode>> expectedByKey() {
        Map<String, List<JsonNode>> byKey = new LinkedHashMap<>();
        expected.get("forecasts").forEach(row -> byKey.computeIfAbsent(row.get("key").textValue(),
                k -> new ArrayList<>()).add(row));
        return byKey;
    }

    /**
     * Checks the forecasts published for the fixture's events, per key in the order published: the same
     * forecasts (event time, revision, values) as the reference read, with its bounds within {@link #TOLERANCE}.
     *
     * @return how many bounds were compared (null ones included)
     */
    public int assertSameIntervals(List<Forecast> published) {
        Map<String, List<Forecast>> byKey = new LinkedHashMap<>();
        published.forEach(forecast -> byKey.computeIfAbsent(forecast.key(), k -> new ArrayList<>()).add(forecast));
        Map<String, List<JsonNode>> expectedByKey = expectedByKey();
        assertEquals(expectedByKey.keySet(), byKey.keySet());
        int compared = 0;
        for (Map.Entry<String, List<JsonNode>> key : expectedByKey.entrySet()) {
            List<Forecast> actual = byKey.get(key.getKey());
            assertEquals(key.getValue().size(), actual.size(), key.getKey() + ": forecasts published");
            for (int f = 0; f < actual.size(); f++) {
                compared += assertSameForecast(key.getValue().get(f), actual.get(f), key.getKey() + " forecast " + f);
            }
        }
        return compared;
    }

    private static int assertSameForecast(JsonNode want, Forecast got, String what) {
        assertEquals(Instant.parse(want.get("event_time").textValue()).toEpochMilli(), got.eventTimeMs(), what);
        assertEquals(want.get("revision").intValue(), got.revision(), what + " revision");
        int compared = 0;
        for (int s = 0; s < got.points().size(); s++) {
            Forecast.Point point = got.points().get(s);
            JsonNode levels = want.get("intervals").get(s);
            assertEquals(levels.size(), point.intervals().size(), what + " step " + (s + 1) + " levels");
            List<String> targets = new ArrayList<>();
            want.get("values").get(s).fieldNames().forEachRemaining(targets::add);
            for (String target : targets) {
                assertEquals(want.get("values").get(s).get(target).doubleValue(), point.values().get(target), 1e-9,
                        what + " step " + (s + 1) + " " + target + ": the value the reference read");
            }
            for (int l = 0; l < levels.size(); l++) {
                Forecast.Interval interval = point.intervals().get(l);
                assertEquals(levels.get(l).get("level").doubleValue(), interval.level(), what);
                for (String target : targets) {
                    String where = what + " step " + (s + 1) + " level " + interval.level() + " " + target;
                    assertBound(levels.get(l).get("lower").get(target), interval.lower().get(target), where + " lower");
                    assertBound(levels.get(l).get("upper").get(target), interval.upper().get(target), where + " upper");
                    compared += 2;
                }
            }
        }
        return compared;
    }

    private static void assertBound(JsonNode want, Double got, String what) {
        if (want.isNull()) {
            assertNull(got, what + ": too few errors yet");
        } else {
            assertEquals(want.doubleValue(), got, TOLERANCE, what);
        }
    }
}
