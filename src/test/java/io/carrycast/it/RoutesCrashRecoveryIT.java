package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.SingleInstanceReference;
import io.carrycast.testing.SyntheticEvents;
import io.carrycast.testing.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 mid-stream with two routes (a GRU for even-numbered meters by key regular expression, the default LSTM
 * for the others), restart: under exactly_once_v2 each route's micro-batch ring and the shared key states commit
 * with the input offsets, so nothing is lost, repeated or stepped twice, and each key keeps its route's model.
 */
@ExtendWith(KafkaBroker.class)
class RoutesCrashRecoveryIT {

    private static final int KEYS = 200;
    private static final int EVENTS_PER_KEY = 30;
    static final Fixture LSTM = Fixture.load("lstm");
    static final Fixture GRU = Fixture.load("gru");

    @TempDir
    Path tempDir;

    static Map<String, String> routes() {
        return Map.of(CarrycastConfig.ROUTES_CONFIG, "even",
                "carrycast.route.even.match", "key-regex:meter-[0-9]{3}[02468]",
                "carrycast.route.even.model.dir", GRU.directory().toString());
    }

    @Test
    void shouldNeitherLoseNorRepeatForecastsOfEitherRouteWhenKilledMidStreamUnderExactlyOnce() throws Exception {
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(KEYS, EVENTS_PER_KEY, 19);
        Topics topics = Topics.create("routes-crash-eos", 4);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
        Map<String, Object> settings = topics.settings(LSTM.directory(), tempDir.resolve("state"),
                "routes-crash-" + UUID.randomUUID());
        settings.putAll(routes());
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, 64);
        settings.put(CarrycastConfig.BATCH_MAX_WAIT_MS_CONFIG, 20);
        // Small polls slow the first instance down enough to be killed mid-stream on any machine.
        settings.put("consumer.max.poll.records", 50);
        settings.put("consumer.session.timeout.ms", 10_000);

        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            AppProcess first = AppProcess.start(tempDir, "first", settings);
            int beforeKill = reader.readUntil(events.size() / 3, Duration.ofSeconds(120));
            assertTrue(beforeKill >= events.size() / 3 && beforeKill < events.size(),
                    "killed mid-stream, after " + beforeKill + " forecasts\n" + first.log());
            first.kill();

            try (AppProcess second = AppProcess.start(tempDir, "second", settings)) {
                reader.readUntil(events.size(), Duration.ofSeconds(150));
                reader.readFor(Duration.ofSeconds(3));
                assertEquals(events.size(), reader.records().size(), "one forecast per event\n" + second.log());
            }
            assertMatchesRoutedReference(events, reader.byKey(), tempDir.resolve("reference"));
        }
    }

    /**
     * Every key's forecasts are those of the same events through the routed topology in one go, one at a time
     * (stores under {@code stateDir}).
     */
    static void assertMatchesRoutedReference(List<Fixture.Event> events, Map<String, List<Forecast>> actual,
                                             Path stateDir) {
        Map<String, String> settings = new HashMap<>(routes());
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, LSTM.directory().toString());
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, "1");
        Map<String, List<Forecast>> expected;
        try (ForecastDriver driver = ForecastDriver.openRoutes(stateDir, settings)) {
            driver.send(events);
            expected = Forecasts.byKey(driver.forecasts());
        }
        assertEquals(expected.keySet(), actual.keySet());
        for (String key : expected.keySet()) {
            List<Forecast> want = expected.get(key);
            List<Forecast> got = actual.get(key);
            Fixture route = Integer.parseInt(key.substring(key.length() - 1)) % 2 == 0 ? GRU : LSTM;
            assertEquals(want.size(), got.size(), key);
            for (int i = 0; i < want.size(); i++) {
                String where = key + " event " + i;
                assertEquals(route.card().name(), got.get(i).modelName(), where + ": its route's model");
                assertEquals(want.get(i).eventTimeMs(), got.get(i).eventTimeMs(), where);
                assertEquals(i + 1, got.get(i).stepsSeen(), where + ": stepped once, in order");
                ForecastAssertions.assertMatches(ForecastAssertions.normalisedValues(want.get(i), route.card()),
                        got.get(i), route.card(), SingleInstanceReference.ACROSS_BATCHES_TOLERANCE, where);
            }
        }
    }
}
