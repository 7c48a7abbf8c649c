package io.carrycast.topology;

import io.carrycast.engine.Router;
import io.carrycast.forecast.EventReader;
import io.carrycast.metrics.CarrycastMetrics;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Forecasts each event with its route's model: the {@link Router} picks the route per event, and that route's
 * {@link ForecastProcessor} takes it. The routes' processors share the node's key-state and latest-forecast
 * stores, and each has its own micro-batch and open buckets, so each route's waiting events are stepped by its
 * own model calls. A key whose event goes to another route than its waiting events first has those stepped, so
 * its state is always written in event order. An event no route takes is refused before any route sees it.
 *
 * <p>When the rules judge keys only, a key's route is fixed while the process runs, so only the events its rings
 * reloaded at start (routed under the rules before a restart) can wait in another route than the key's next
 * event: those are stepped before the first record, and no route is asked for a key's waiting events after.
 */
final class RoutedProcessor implements Processor<String, byte[], String, byte[]> {

    /** How often the events handed to routes are counted when the end of a poll's records is not seen. */
    static final Duration COUNT_INTERVAL = Duration.ofSeconds(1);

    /** This task's: it remembers the routes of the task's keys when the rules judge keys only. */
    private final Router.Chooser chooser;
    private final EventReader reader;
    /** The fields the rules read, or null when they judge keys only (the event is then not read here). */
    private final EventReader.Fields fields;
    private final List<ForecastProcessor> routes;
    /** Per route, the count of events handed to it. */
    private final Counter[] routed;
    /**
     * Per route, events handed to it not yet added to {@link #routed}. The counts are added at the end of each
     * poll's records (at the latest every {@link #COUNT_INTERVAL}), not per event: the stream threads share each
     * route's counter, and a counter written per event by two threads cost up to 0.2-0.3 us per event, the cores
     * passing its memory back and forth (docs/benchmarks-history.md, section 26).
     */
    private final long[] uncounted;
    /** Whether the rings may still hold events reloaded at start. */
    private boolean reloadedMayWait = true;
    /** The task's light-load test, shared by its routes: each record counts once, whichever route takes it. */
    private LightLoadCommits commits;

    /** @param routes one processor per route of {@code router}, in its order */
    RoutedProcessor(Router router, EventReader reader, List<ForecastProcessor> routes, CarrycastMetrics metrics) {
        this.chooser = router.chooser();
        this.routed = router.routes().stream().map(route -> metrics.routed(route.name())).toArray(Counter[]::new);
        this.uncounted = new long[routed.length];
        this.reader = reader;
        this.fields = router.fields().isEmpty() ? null : reader.fields(router.fields(), null);
        this.routes = routes;
    }

    @Override
    public void init(ProcessorContext<String, byte[]> context) {
        routes.forEach(route -> route.init(context));
        context.schedule(COUNT_INTERVAL, PunctuationType.WALL_CLOCK_TIME, now -> addUncounted());
        commits = routes.get(0).commits();
        routes.forEach(route -> route.countRecordsWith(commits));
    }

    @Override
    public void process(Record<String, byte[]> record) {
        int chosen = -1;
        try {
            chosen = chooser.choose(record.key(), fields == null ? null : reader.read(record.value(), fields));
            if (reloadedMayWait) {
                routes.forEach(route -> route.stepWaitingOf(null));
                reloadedMayWait = false;
            }
            for (int r = 0; fields != null && r < routes.size(); r++) {
                if (r != chosen) {
                    routes.get(r).stepWaitingOf(record.key());
                }
            }
            uncounted[chosen]++;
            routes.get(chosen).process(record);
        } finally {
            if (chosen < 0) {
                // Refused before any route saw it; the chosen route counts the records it takes.
                commits.recordProcessed();
            }
            if (routes.get(0).isLastDeliveredInput()) {
                for (int r = 0; r < routes.size(); r++) {
                    if (r != chosen) {
                        routes.get(r).stepWaitingAtEndOfInput();
                    }
                }
                addUncounted();
            }
        }
    }

    /** Adds the events handed to each route since the last time to its counter. */
    private void addUncounted() {
        for (int r = 0; r < uncounted.length; r++) {
            if (uncounted[r] > 0) {
                routed[r].increment(uncounted[r]);
                uncounted[r] = 0;
            }
        }
    }

    @Override
    public void close() {
        addUncounted();
        routes.forEach(ForecastProcessor::close);
    }
}
