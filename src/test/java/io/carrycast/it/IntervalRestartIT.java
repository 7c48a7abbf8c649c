package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.app.CarrycastApplication;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.IntervalReference;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Intervals across a restart on a real broker, exactly-once: each key's interval errors are kept in its state
 * record, so after a stop (and with the local state wiped, from the changelog) the forecasts go on with the
 * bounds the Python reference computes for an uninterrupted run, within 1e-6, late events included.
 */
@ExtendWith(KafkaBroker.class)
class IntervalRestartIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);

    @TempDir
    Path tempDir;

    @ParameterizedTest(name = "wipe local state: {0}")
    @ValueSource(booleans = {false, true})
    void shouldRestoreEachKeysIntervalErrorsAfterARestart(boolean wipeLocalState) throws Exception {
        IntervalReference reference = IntervalReference.load();
        List<Fixture.Event> events = reference.events();
        int half = events.size() / 2;
        Topics topics = Topics.create("intervals-restart-" + wipeLocalState, 2);
        Path stateDir = tempDir.resolve("state");
        CarrycastConfig config = topics.config(Fixture.load(IntervalReference.MODEL).directory(),
                StreamsConfig.EXACTLY_ONCE_V2, stateDir, "app-" + UUID.randomUUID(),
                new HashMap<>(IntervalReference.SETTINGS));

        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events.subList(0, half));
        try (CarrycastApplication app = CarrycastApplication.start(config)) {
            // One forecast per event, and one more for the late event among them: its correction publishes its
            // own forecast and the revised one of the event after it.
            assertEquals(half + 1, ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), half + 1,
                    TIMEOUT, Duration.ofSeconds(1)).size());
        }
        if (wipeLocalState) {
            try (var paths = Files.walk(stateDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events.subList(half, events.size()));
        List<Forecast> forecasts = new ArrayList<>();
        int total = reference.expectedByKey().values().stream().mapToInt(List::size).sum();
        try (CarrycastApplication app = CarrycastApplication.start(config)) {
            ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), total, TIMEOUT,
                    Duration.ofSeconds(2)).forEach(record -> forecasts.add(record.value()));
        }

        assertEquals(362 * 3 * 2 * 2 * 2, reference.assertSameIntervals(forecasts));
    }
}
