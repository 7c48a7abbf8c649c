package io.carrycast.backtest;

import io.carrycast.accuracy.Intervals;
import static io.carrycast.testing.RoutedFixtures.HOURLY;
import static io.carrycast.testing.RoutedFixtures.MINUTELY;
import static io.carrycast.testing.RoutedFixtures.RIVER;
import static io.carrycast.testing.RoutedFixtures.assertEachKeyMatchesItsModel;
import static io.carrycast.testing.RoutedFixtures.interleavedRoutedEvents;
import static io.carrycast.testing.RoutedFixtures.renamed;
import static io.carrycast.testing.RoutedFixtures.threeRoutes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.engine.RouteRule;
import io.carrycast.engine.Router;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backtest routes events by the stream's own {@link Router}, each route's model over the shared key records. */
class RoutedBacktestTest {

    private static final Router THREE_ROUTES = new Router(List.of(
            new Router.Route("hourly", RouteRule.parse(threeRoutes().get("carrycast.route.hourly.match"))),
            new Router.Route("minutely", RouteRule.parse(threeRoutes().get("carrycast.route.minutely.match"))),
            new Router.Route("river", RouteRule.parse(threeRoutes().get("carrycast.route.river.match")))), false);

    @TempDir
    Path stateDir;

    @Test
    void shouldForecastEachKeyWithItsRoutesModelAsPyTorchDoes() {
        Backtest.Result result;
        List<Forecast> forecasts = new ArrayList<>();
        result = backtest(THREE_ROUTES, List.of(HOURLY, MINUTELY, RIVER), interleavedRoutedEvents(), forecasts);
        assertEquals(0, result.refused());
        assertEachKeyMatchesItsModel(byKey(forecasts));
    }

    /**
     * A key that moves from the GRU to the BiLSTM and back, an event no route takes, and the three routes' keys:
     * the backtest gives the stream's forecasts, exactly (one event a model call in both), and its refusals.
     */
    @Test
    void shouldGiveTheStreamsForecastsAndRefusalsForAKeyWhoseSegmentChanges() {
        Router router = new Router(List.of(
                new Router.Route("lake", RouteRule.parse("field:segment=lake")),
                new Router.Route("river", RouteRule.parse("field:segment=river"))), false);
        List<Fixture.Event> events = new ArrayList<>();
        MINUTELY.events("sensor-a").subList(0, 12).forEach(e ->
                events.add(renamed(e, "gauge-1", "lake", Duration.ofDays(-1))));
        RIVER.events("sensor-a").forEach(e -> events.add(renamed(e, "gauge-1", "river", Duration.ZERO)));
        events.add(renamed(RIVER.events("sensor-b").get(0), "gauge-2", "sea", Duration.ZERO));
        MINUTELY.events("sensor-b").forEach(e -> events.add(renamed(e, "gauge-1", "lake", Duration.ofDays(1))));

        Map<String, String> settings = new HashMap<>();
        settings.put("carrycast.routes", "lake,river");
        settings.put("carrycast.route.lake.match", "field:segment=lake");
        settings.put("carrycast.route.lake.model.dir", MINUTELY.directory().toString());
        settings.put("carrycast.route.river.match", "field:segment=river");
        settings.put("carrycast.route.river.model.dir", RIVER.directory().toString());
        settings.put("carrycast.batch.max.size", "1");
        List<Forecast> streamed;
        List<String> deadLettered = new ArrayList<>();
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, settings)) {
            driver.send(events);
            streamed = Forecasts.values(driver.forecasts());
            driver.deadLetters().forEach(record -> deadLettered.add(record.key() + " " + DeadLetters.reason(record)));
        }
        List<Forecast> backtested = new ArrayList<>();
        Backtest.Result result = backtest(router, List.of(MINUTELY, RIVER), events, backtested);

        assertEquals(List.of("gauge-2 no_route"), deadLettered);
        assertEquals(deadLettered, result.firstRefusals().stream()
                .map(refusal -> refusal.key() + " " + refusal.reason().label()).toList());
        assertEquals(12 + (RIVER.events("sensor-a").size() - 7) + MINUTELY.events("sensor-b").size(),
                streamed.size(), "the GRU's 12, the BiLSTM's from its first full window, the GRU's again");
        assertEquals(streamed, backtested, "identical forecasts, values exact");
        Forecast backOnLake = streamed.get(streamed.size() - MINUTELY.events("sensor-b").size());
        assertEquals(Forecast.REBUILT_FOR_MODEL, backOnLake.stateNote(), "the GRU rebuilt from the BiLSTM's window");
    }

    private static Backtest.Result backtest(Router router, List<Fixture> routes, List<Fixture.Event> events,
                                            List<Forecast> sink) {
        List<RecurrentModelRunner> runners = new ArrayList<>();
        try {
            List<Forecaster> forecasters = new ArrayList<>();
            for (Fixture route : routes) {
                RecurrentModelRunner runner = RecurrentModelRunner.open(route.bundle(), RunnerOptions.defaults());
                runners.add(runner);
                forecasters.add(new Forecaster(runner));
            }
            Backtest backtest = new Backtest(router, forecasters, new EventReader("time", TimestampFormat.of("iso"),
                    Integer.MAX_VALUE), "series", Admission.GapRule.NONE, LateEvents.Bound.NONE, Duration.ofSeconds(5),
                    Intervals.NONE);
            return backtest.run(events.stream().map(Fixture.Event::value).toList(),
                    new Evaluation(routes.get(0).card(), t -> true), sink::add);
        } finally {
            runners.forEach(RecurrentModelRunner::close);
        }
    }

    private static Map<String, List<Forecast>> byKey(List<Forecast> forecasts) {
        Map<String, List<Forecast>> byKey = new LinkedHashMap<>();
        forecasts.forEach(forecast -> byKey.computeIfAbsent(forecast.key(), k -> new ArrayList<>()).add(forecast));
        return byKey;
    }
}
