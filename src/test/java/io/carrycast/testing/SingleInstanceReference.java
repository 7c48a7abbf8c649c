package io.carrycast.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;

/**
 * What an undisturbed run gives: the same events through the TopologyTestDriver, one event per model call.
 * Tests of crashes, restarts and rebalances compare the broker's forecasts with it key by key.
 */
public final class SingleInstanceReference {

    /**
     * Batches differ between runs, and ONNX Runtime may round a sum differently for another batch shape:
     * values agree within this, in normalised units.
     */
    public static final double ACROSS_BATCHES_TOLERANCE = 1e-5;

    private SingleInstanceReference() {
    }

    /** Every key's forecasts equal the reference, event by event: none lost, none repeated, each stepped once. */
    public static void assertMatches(Fixture fixture, List<Fixture.Event> events, Map<String, List<Forecast>> actual,
                                     Path stateDir) {
        Map<String, List<Forecast>> expected = new HashMap<>();
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, "1"))) {
            driver.send(events);
            for (TestRecord<String, Forecast> record : driver.forecasts()) {
                expected.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
            }
        }
        assertEquals(expected.keySet(), actual.keySet());
        for (String key : expected.keySet()) {
            List<Forecast> want = expected.get(key);
            List<Forecast> got = actual.get(key);
            assertEquals(want.size(), got.size(), key);
            for (int i = 0; i < want.size(); i++) {
                String where = key + " event " + i;
                assertEquals(want.get(i).eventTimeMs(), got.get(i).eventTimeMs(), where);
                assertEquals(i + 1, got.get(i).stepsSeen(), where + ": stepped once, in order");
                ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(want.get(i), fixture.card()),
                        got.get(i), fixture.card(), ACROSS_BATCHES_TOLERANCE, where);
            }
        }
    }
}
