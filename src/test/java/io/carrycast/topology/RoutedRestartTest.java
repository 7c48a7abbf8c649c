package io.carrycast.topology;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static io.carrycast.testing.RoutedFixtures.MINUTELY;
import static io.carrycast.testing.RoutedFixtures.renamed;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.accuracy.Intervals;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.engine.RouteRule;
import io.carrycast.engine.RouteStates;
import io.carrycast.engine.Router;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.LiveModel;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restart whose key rules send a key to another route while its events wait in the former route's micro-batch:
 * the former route's model steps them before the key's next events reach the new route, so the key's state is
 * written in event order. Two processors over the same stores stand for the task before and after the restart.
 */
class RoutedRestartTest {

    private static final int MAX_BATCH = 4;

    @TempDir
    Path dir;

    private final MockProcessorContext<String, byte[]> context = new MockProcessorContext<>();

    RoutedRestartTest() {
        store(ForecastTopology.STATE_STORE, Serdes.String());
        store(StoreNames.forRoute("one").pending(), Serdes.Long());
        store(StoreNames.forRoute("two").pending(), Serdes.Long());
    }

    private <K> void store(String name, Serde<K> keys) {
        KeyValueStore<K, byte[]> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), keys,
                Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore((StateStore) store);
    }

    @Test
    void shouldStepEventsWaitingUnderTheFormerRulesBeforeTheirKeyMovesRouteAtARestart() {
        String fixtureKey = MINUTELY.keys().get(0);
        List<Fixture.Event> events = MINUTELY.events(fixtureKey).stream()
                .map(event -> renamed(event, "pump-" + fixtureKey, null, Duration.ZERO)).toList();
        int beforeRestart = MAX_BATCH - 1; // they wait: the batch is not full and no wait passes
        Path secondVersion = MINUTELY.copyWithCard(dir.resolve("v2"), card -> card.put("version", "2"));
        try (LiveModel first = LiveModel.open(MINUTELY.directory(), RunnerOptions.defaults(), served -> { });
             LiveModel second = LiveModel.open(secondVersion, RunnerOptions.defaults(), served -> { })) {
            RoutedProcessor before = routed("key-prefix:pump-", "key-prefix:tank-", first, second);
            events.subList(0, beforeRestart).forEach(event -> process(before, event));
            assertEquals(0, context.forwarded().size(), "waiting in route one's batch at the restart");

            int punctuatorsBefore = context.scheduledPunctuators().size();
            RoutedProcessor after = routed("key-prefix:tank-", "key-prefix:pump-", first, second);
            events.subList(beforeRestart, events.size()).forEach(event -> process(after, event));
            // The batch wait passes for the restarted task's routes: what still waits is stepped.
            context.scheduledPunctuators().subList(punctuatorsBefore, context.scheduledPunctuators().size())
                    .forEach(scheduled -> scheduled.getPunctuator().punctuate(0L));
            after.close();
        }
        List<Forecast> forecasts = context.forwarded().stream()
                .map(forwarded -> new ForecastSerde().deserializer().deserialize("", forwarded.record().value()))
                .toList();
        assertEquals(events.stream().map(Fixture.Event::timeMs).toList(),
                forecasts.stream().map(Forecast::eventTimeMs).toList(), "one forecast per event, in event order");
        List<float[]> expected = MINUTELY.expectedOutputs(fixtureKey);
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i < beforeRestart ? "1" : "2", forecasts.get(i).modelVersion(), "event " + i);
            if (i < beforeRestart) {
                assertMatches(expected.get(i), forecasts.get(i), MINUTELY.card(), 1e-5, "event " + i);
            }
        }
    }

    /** The task's processor under rules giving route one the keys {@code one} takes, route two the rest it takes. */
    private RoutedProcessor routed(String one, String two, LiveModel first, LiveModel second) {
        Router router = new Router(List.of(new Router.Route("one", RouteRule.parse(one)),
                new Router.Route("two", RouteRule.parse(two))), false);
        RouteStates states = new RouteStates();
        EventReader reader = new EventReader("time", TimestampFormat.of("iso"), Integer.MAX_VALUE);
        List<ForecastProcessor> routes = new ArrayList<>();
        List<LiveModel> models = List.of(first, second);
        for (int r = 0; r < 2; r++) {
            String name = router.routes().get(r).name();
            routes.add(new ForecastProcessor(models.get(r), new ForecastProcessor.Settings(reader, MAX_BATCH,
                    Duration.ofMillis(20), Admission.GapRule.NONE, false, LateEvents.Bound.NONE, Duration.ZERO,
                    StoreNames.forRoute(name), null, Intervals.NONE, LiveScoring.Forwards.NONE, null, Duration.ZERO,
                    CarrycastConfig.LIGHT_LOAD_RECORDS, states.forRoute(r, name)), CarrycastMetrics.detached()));
        }
        RoutedProcessor processor = new RoutedProcessor(router, reader, routes, CarrycastMetrics.detached());
        processor.init(context);
        return processor;
    }

    private static void process(RoutedProcessor processor, Fixture.Event event) {
        processor.process(new Record<>(event.key(), event.bytes(), event.timeMs()));
    }
}
