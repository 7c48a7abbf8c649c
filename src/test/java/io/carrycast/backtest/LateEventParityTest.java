package io.carrycast.backtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.DeadLetters;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.LateArrivals;
import io.carrycast.testing.SyntheticEvents;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A file whose rows are not in time order: the backtest corrects late rows as the stream corrects late
 * events, through the same code, and refuses the same row beyond the allowed lateness.
 */
class LateEventParityTest {

    private static final String KEY_FIELD = "series";
    private static final long MINUTE = 60_000L;

    @TempDir
    Path stateDir;

    @ParameterizedTest
    @ValueSource(strings = {"lstm", "bilstm_window"})
    void shouldCorrectTheSameRowsAsTheStreamAndRefuseTheSameOne(String name) {
        Fixture fixture = Fixture.load(name);
        List<Fixture.Event> events = new ArrayList<>(LateArrivals.delayed(
                SyntheticEvents.levelFlowPressure(5, 30, 21), 6 * MINUTE, 21));
        Fixture.Event last = events.get(events.size() - 1);
        long tooLate = last.timeMs() - 11 * MINUTE - 7;
        events.add(new Fixture.Event(last.key(), tooLate,
                last.value().deepCopy().put("time", Instant.ofEpochMilli(tooLate).toString())));
        events.forEach(event -> event.value().put(KEY_FIELD, event.key()));

        List<Forecast> streamed;
        List<String> deadLettered = new ArrayList<>();
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of(
                CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, String.valueOf(10 * MINUTE),
                CarrycastConfig.BATCH_MAX_SIZE_CONFIG, "1"))) {
            driver.send(events);
            streamed = Forecasts.values(driver.forecasts());
            driver.deadLetters().forEach(record -> deadLettered.add(record.key() + " " + DeadLetters.reason(record)));
        }

        List<Forecast> backtested = new ArrayList<>();
        Backtest.Result result;
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults())) {
            Backtest backtest = new Backtest(new Forecaster(runner), new EventReader("time", TimestampFormat.of("iso"),
                    Integer.MAX_VALUE), KEY_FIELD, Admission.GapRule.NONE, new LateEvents.Bound(10 * MINUTE, 64),
                    Duration.ofMillis(CarrycastConfig.RESAMPLE_GRACE_MS_DEFAULT));
            result = backtest.run(events.stream().map(Fixture.Event::value).toList(),
                    new Evaluation(fixture.card(), t -> true), backtested::add);
        }

        assertTrue(streamed.stream().anyMatch(forecast -> forecast.revision() > 0), "corrections among them");
        assertEquals(streamed, backtested, "the same forecasts and revisions, in the same order, values exact");
        assertEquals(List.of(last.key() + " late"), deadLettered);
        assertEquals(List.of(last.key() + " late"), result.firstRefusals().stream()
                .map(refusal -> refusal.key() + " " + refusal.reason().label()).toList());
        assertEquals(streamed.size(), result.forecasts());
    }
}
