package io.carrycast.testing;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.forecast.Forecast;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Events delivered out of order, as a buffering gateway or a lagging source partition delivers them, and what
 * a consumer of revised forecasts keeps of them.
 */
public final class LateArrivals {

    private LateArrivals() {
    }

    /**
     * The events in the order they arrive when each is held back a random delay of up to {@code maxDelayMs}:
     * sorted by event time plus delay. An event then arrives at most {@code maxDelayMs} behind the latest event
     * of its key that arrived before it.
     */
    public static List<Fixture.Event> delayed(List<Fixture.Event> inOrder, long maxDelayMs, long seed) {
        Random random = new Random(seed);
        record Arrival(Fixture.Event event, long at, int index) {
        }
        List<Arrival> arrivals = new ArrayList<>();
        for (int i = 0; i < inOrder.size(); i++) {
            Fixture.Event event = inOrder.get(i);
            arrivals.add(new Arrival(event, event.timeMs() + (long) (random.nextDouble() * maxDelayMs), i));
        }
        arrivals.sort(Comparator.comparingLong(Arrival::at).thenComparingInt(Arrival::index));
        return arrivals.stream().map(Arrival::event).toList();
    }

    /** How many events arrive before an earlier event of their own key: the late ones. */
    public static int lateCount(List<Fixture.Event> arrivals) {
        Map<String, Long> latest = new LinkedHashMap<>();
        int late = 0;
        for (Fixture.Event event : arrivals) {
            long latestNow = latest.merge(event.key(), event.timeMs(), Math::max);
            if (latestNow != event.timeMs()) {
                late++;
            }
        }
        return late;
    }

    /**
     * Per key and event time, the forecast a consumer keeps: the latest revision. Checks on the way that every
     * revision arrives after the ones it replaces.
     */
    public static Map<String, TreeMap<Long, Forecast>> latestRevisions(List<Forecast> inArrivalOrder) {
        Map<String, TreeMap<Long, Forecast>> latest = new TreeMap<>();
        for (Forecast forecast : inArrivalOrder) {
            Forecast before = latest.computeIfAbsent(forecast.key(), k -> new TreeMap<>())
                    .put(forecast.eventTimeMs(), forecast);
            assertTrue(before == null || before.revision() < forecast.revision(), () -> "revision "
                    + forecast.revision() + " of " + forecast.key() + " at " + forecast.eventTimeMs()
                    + " arrived after revision " + before.revision());
        }
        return latest;
    }
}
