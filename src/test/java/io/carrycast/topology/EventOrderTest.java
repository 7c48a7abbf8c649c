package io.carrycast.topology;

import static io.carrycast.testing.DeadLetters.header;
import static io.carrycast.testing.Forecasts.values;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Meters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RNN state depends on order: per key, event time must increase; redeliveries and gaps are handled. */
class EventOrderTest {

    private static final String KEY = "sensor-a";

    @TempDir
    Path stateDir;

    @Test
    void shouldDropAnExactRedeliveryOfTheLastEventAndCountIt() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.events(KEY);
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir)) {
            driver.send(List.of(events.get(0), events.get(1), events.get(1), events.get(2)));
            List<Forecast> forecasts = values(driver.forecasts());

            assertEquals(List.of(1L, 2L, 3L), forecasts.stream().map(Forecast::stepsSeen).toList());
            ForecastAssertions.assertMatches(fixture.expectedOutputs(KEY).get(2), forecasts.get(2), fixture.card(),
                    fixture.tolerance(), "third event, after the redelivery");
            assertEquals(0, driver.deadLetters().size());
            assertEquals(1.0, Meters.count(driver.registry(), "carrycast.events.duplicate"));
        }
    }

    @Test
    void shouldDeadLetterALateEventAsLate() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.events(KEY);
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir)) {
            driver.send(List.of(events.get(0), events.get(2), events.get(1)));

            assertEquals(2, driver.forecasts().size());
            assertEquals("late", header(driver.deadLetters().get(0), "carrycast.reason"));
        }
    }

    @Test
    void shouldDeadLetterAnEventAtTheLastTimeWithOtherValuesAsLate() {
        Fixture fixture = Fixture.load("lstm");
        Fixture.Event first = fixture.events(KEY).get(0);
        Fixture.Event changed = new Fixture.Event(KEY, first.timeMs(), first.value().deepCopy().put("level", 99.0));
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir)) {
            driver.send(List.of(first, changed));

            assertEquals(1, driver.forecasts().size());
            assertEquals("late", header(driver.deadLetters().get(0), "carrycast.reason"));
        }
    }

    @Test
    void shouldResetTheStateAfterASilenceLongerThanTheMaximumGap() {
        Fixture fixture = Fixture.load("gru");
        List<Fixture.Event> events = fixture.events(KEY);
        Fixture.Event afterGap = shifted(events.get(5), 3_600_000L);
        List<Forecast> forecasts;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve("gap"),
                Map.of("carrycast.state.max.gap.ms", "600000"))) {
            driver.send(events.subList(0, 5));
            driver.send(afterGap);
            forecasts = values(driver.forecasts());
        }
        List<Forecast> fresh;
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir.resolve("fresh"))) {
            driver.send(afterGap);
            fresh = values(driver.forecasts());
        }

        Forecast reset = forecasts.get(5);
        assertEquals(Forecast.RESET_AFTER_GAP, reset.stateNote());
        assertEquals(6, reset.stepsSeen(), "the key's history still counts");
        assertNull(forecasts.get(4).stateNote());
        assertEquals(fresh.get(0).points(), reset.points(), "stepped from a zero state");
    }

    @Test
    void shouldReprimeTheStateFromTheWindowAfterAGapWhenConfigured() {
        Fixture fixture = Fixture.load("lstm_multi");
        int window = fixture.card().window();
        List<Fixture.Event> events = fixture.events(KEY);
        List<Fixture.Event> before = events.subList(0, window + 3);
        Fixture.Event afterGap = shifted(events.get(window + 3), 86_400_000L);
        List<Forecast> forecasts;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve("gap"),
                Map.of("carrycast.state.max.gap.ms", "7200000", "carrycast.state.gap.policy", "reprime"))) {
            driver.send(before);
            driver.send(afterGap);
            forecasts = values(driver.forecasts());
        }
        // What re-priming means: the model run from zero over the key's last W events, then this event.
        List<Fixture.Event> replay = new ArrayList<>(before.subList(before.size() - window, before.size()));
        replay.add(afterGap);
        List<Forecast> reference;
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir.resolve("reference"))) {
            driver.send(replay);
            reference = values(driver.forecasts());
        }

        Forecast reprimed = forecasts.get(forecasts.size() - 1);
        assertEquals(Forecast.REPRIMED_AFTER_GAP, reprimed.stateNote());
        ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(reference.get(window), fixture.card()),
                reprimed, fixture.card(), 1e-5, "re-primed forecast");
    }

    @Test
    void shouldIgnoreGapsForAWindowModeModel() {
        Fixture fixture = Fixture.load("bilstm_window");
        int window = fixture.card().window();
        List<Fixture.Event> events = new ArrayList<>(fixture.events(KEY).subList(0, window + 2));
        events.set(window + 1, shifted(events.get(window + 1), 86_400_000L));
        List<Forecast> withGapRule;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir.resolve("gap"),
                Map.of("carrycast.state.max.gap.ms", "3600000"))) {
            driver.send(events);
            withGapRule = values(driver.forecasts());
        }
        List<Forecast> without;
        try (ForecastDriver driver = ForecastDriver.open(fixture, stateDir.resolve("none"))) {
            driver.send(events);
            without = values(driver.forecasts());
        }

        assertEquals(3, withGapRule.size(), "from the W-th event on");
        assertNull(withGapRule.get(2).stateNote(), "a window model has no state to reset");
        assertEquals(without, withGapRule);
    }

    private static Fixture.Event shifted(Fixture.Event event, long byMs) {
        long time = event.timeMs() + byMs;
        return new Fixture.Event(event.key(), time,
                event.value().deepCopy().put("time", java.time.Instant.ofEpochMilli(time).toString()));
    }
}
