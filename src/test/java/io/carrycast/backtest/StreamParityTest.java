package io.carrycast.backtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.DeadLetters;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The backtest applies the stream's own rules: the same events, through the topology and through
 * {@link Backtest}, give the same forecasts (values, state notes, steps seen) and the same refusals, with
 * exact redeliveries, late events, a bad event and a gap beyond the maximum among them.
 */
class StreamParityTest {

    private static final String KEY_FIELD = "series";
    private static final long HOUR = 3_600_000L;
    private static final long MAX_GAP_MS = 3 * HOUR;
    /**
     * Batched, the stream shares one model call between keys and the backtest does not; ONNX Runtime may then
     * round the last bits differently (MicroBatchTest compares the two within the same bound).
     */
    private static final double BATCHED_TOLERANCE = 1e-5;

    @TempDir
    Path stateDir;

    @ParameterizedTest(name = "gap policy {0}, batch {1}")
    @CsvSource({"reset, 1", "reprime, 1", "reset, 256", "reprime, 256"})
    void shouldGiveTheStreamsForecastsAndRefusalsForTheSameEvents(String gapPolicy, int batch) {
        Fixture fixture = Fixture.load("lstm_multi");
        List<Fixture.Event> events = eventsWithRedeliveriesLateAndBadEventsAndAGap(fixture);

        List<TestRecord<String, Forecast>> streamed;
        List<String> deadLettered = new ArrayList<>();
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of(
                "carrycast.state.max.gap.ms", String.valueOf(MAX_GAP_MS), "carrycast.state.gap.policy", gapPolicy,
                "carrycast.batch.max.size", String.valueOf(batch)))) {
            driver.send(events);
            streamed = driver.forecasts();
            driver.deadLetters().forEach(record -> deadLettered.add(record.key() + " "
                    + DeadLetters.reason(record)));
        }

        List<Forecast> backtested = new ArrayList<>();
        Backtest.Result result;
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults())) {
            Forecaster forecaster = new Forecaster(runner);
            Backtest backtest = new Backtest(forecaster, new EventReader("time", TimestampFormat.of("iso"),
                    Integer.MAX_VALUE), KEY_FIELD, new Admission.GapRule(MAX_GAP_MS, gapPolicy.equals("reprime")));
            result = backtest.run(events.stream().map(Fixture.Event::value).toList(),
                    new Evaluation(fixture.card(), t -> true), backtested::add);
        }

        List<String> refused = result.firstRefusals().stream()
                .map(refusal -> refusal.key() + " " + refusal.reason().label()).toList();
        assertEquals(List.of("sensor-c not_a_number", "sensor-b late", "sensor-a late"), deadLettered,
                "the stream's dead letters");
        assertEquals(deadLettered, refused, "the backtest refuses what the stream dead-letters");
        assertEquals(deadLettered.size(), result.refused());
        assertEquals(2, result.redeliveries());

        Map<String, List<Forecast>> byKeyStreamed = Forecasts.byKey(streamed);
        Map<String, List<Forecast>> byKeyBacktested = byKey(backtested);
        assertEquals(3 * 24 - 1, streamed.size(), "one forecast per fixture event but sensor-b's late one");
        assertEquals(byKeyStreamed.keySet(), byKeyBacktested.keySet());
        String note = gapPolicy.equals("reprime") ? Forecast.REPRIMED_AFTER_GAP : Forecast.RESET_AFTER_GAP;
        assertEquals(note, byKeyStreamed.get("sensor-c").get(GAP_AFTER).stateNote(), "the gap is applied");
        for (String key : byKeyStreamed.keySet()) {
            List<Forecast> expected = byKeyStreamed.get(key);
            List<Forecast> actual = byKeyBacktested.get(key);
            if (batch == 1) {
                assertEquals(expected, actual, key + ": identical forecasts, values exact");
                continue;
            }
            assertEquals(expected.size(), actual.size(), key);
            for (int i = 0; i < expected.size(); i++) {
                assertSameForecast(expected.get(i), actual.get(i), fixture.card(), key + " forecast " + i);
            }
        }
    }

    /** sensor-c's events from this one on come two days later than the fixture has them. */
    private static final int GAP_AFTER = 20;

    /**
     * The fixture's three keys interleaved, plus: sensor-a's 6th event again right after it and sensor-b's 8th
     * again after other keys' events (exact redeliveries); sensor-b's 11th after its 12th (late); sensor-a's
     * 13th again with another load (late: same time, other values); a sensor-c event whose humidity is not a
     * number; and sensor-c silent for two days before its 21st event (a gap beyond the maximum).
     */
    private static List<Fixture.Event> eventsWithRedeliveriesLateAndBadEventsAndAGap(Fixture fixture) {
        Map<String, List<Fixture.Event>> byKey = new LinkedHashMap<>();
        for (String key : fixture.keys()) {
            List<Fixture.Event> keyed = new ArrayList<>();
            List<Fixture.Event> original = fixture.events(key);
            for (int i = 0; i < original.size(); i++) {
                Fixture.Event event = original.get(i);
                keyed.add(key.equals("sensor-c") && i >= GAP_AFTER ? shifted(event, 48 * HOUR) : event);
            }
            keyed.forEach(event -> event.value().put(KEY_FIELD, event.key()));
            byKey.put(key, keyed);
        }
        List<Fixture.Event> a = byKey.get("sensor-a");
        List<Fixture.Event> b = byKey.get("sensor-b");
        List<Fixture.Event> c = byKey.get("sensor-c");
        List<Fixture.Event> events = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            events.add(a.get(i));
            if (i == 5) {
                events.add(copy(a.get(5)));
            }
            if (i == 12) {
                Fixture.Event changed = copy(a.get(12));
                changed.value().put("load", changed.value().get("load").doubleValue() + 1.0);
                events.add(changed);
            }
            if (i == 10) {
                events.add(b.get(11));
                events.add(b.get(10));
            } else if (i != 11) {
                events.add(b.get(i));
            }
            if (i == 3) {
                Fixture.Event bad = copy(c.get(3));
                bad.value().put("humidity", "wet");
                events.add(bad);
            }
            events.add(c.get(i));
            if (i == 8) {
                events.add(copy(b.get(8)));
            }
        }
        return events;
    }

    private static Fixture.Event copy(Fixture.Event event) {
        return new Fixture.Event(event.key(), event.timeMs(), event.value().deepCopy());
    }

    private static Fixture.Event shifted(Fixture.Event event, long byMs) {
        long time = event.timeMs() + byMs;
        ObjectNode value = event.value().deepCopy().put("time", Instant.ofEpochMilli(time).toString());
        return new Fixture.Event(event.key(), time, value);
    }

    private static Map<String, List<Forecast>> byKey(List<Forecast> forecasts) {
        Map<String, List<Forecast>> byKey = new LinkedHashMap<>();
        forecasts.forEach(forecast -> byKey.computeIfAbsent(forecast.key(), k -> new ArrayList<>()).add(forecast));
        return byKey;
    }

    /** Everything equal but the values, which agree within {@link #BATCHED_TOLERANCE} in normalised units. */
    private static void assertSameForecast(Forecast expected, Forecast actual, ModelCard card, String where) {
        assertEquals(expected.eventTimeMs(), actual.eventTimeMs(), where);
        assertEquals(expected.stepsSeen(), actual.stepsSeen(), where);
        assertEquals(expected.stateNote(), actual.stateNote(), where);
        assertEquals(expected.points().stream().map(Forecast.Point::targetTimeMs).toList(),
                actual.points().stream().map(Forecast.Point::targetTimeMs).toList(), where);
        ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(expected, card), actual, card,
                BATCHED_TOLERANCE, where);
    }
}
