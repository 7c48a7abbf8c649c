package io.carrycast.it;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.app.CarrycastApplication;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.SyntheticEvents;
import io.carrycast.testing.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The forecaster on a real broker, checked against the TopologyTestDriver path and PyTorch. */
@ExtendWith(KafkaBroker.class)
class ForecastPipelineIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final Duration SETTLE = Duration.ofSeconds(2);

    @TempDir
    Path tempDir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE})
    void shouldForecastEveryEventOnceInKeyOrderAndMatchTheTestDriver(String guarantee) {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(120, 12, 42);
        Topics topics = Topics.create("pipeline-" + guarantee, 4);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);

        List<ConsumerRecord<String, Forecast>> records;
        try (CarrycastApplication app = CarrycastApplication.start(topics.config(fixture.directory(), guarantee,
                tempDir.resolve("state"), "app-" + UUID.randomUUID()))) {
            records = ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), events.size(), TIMEOUT, SETTLE);
        }

        assertEquals(events.size(), records.size(), "one forecast per event, none lost or duplicated");
        Map<String, List<Forecast>> viaKafka = new LinkedHashMap<>();
        for (ConsumerRecord<String, Forecast> record : records) {
            List<Forecast> forKey = viaKafka.computeIfAbsent(record.key(), k -> new ArrayList<>());
            assertEquals(forKey.size() + 1, record.value().stepsSeen(), record.key() + ": per-key order kept");
            assertEquals(record.value().eventTimeMs(), record.timestamp(), "record timestamp is the event time");
            forKey.add(record.value());
        }
        assertEquals(testDriverForecasts(fixture, events), viaKafka.keySet().stream()
                .collect(HashMap::new, (m, k) -> m.put(k, viaKafka.get(k)), HashMap::putAll));
    }

    @Test
    void shouldForecastOnlyEventsWithACompleteWindowInWindowMode() {
        Fixture fixture = Fixture.load("bilstm_window");
        int window = fixture.card().window();
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(30, window + 4, 7);
        Topics topics = Topics.create("window", 3);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
        int due = 30 * 5;

        List<ConsumerRecord<String, Forecast>> records;
        try (CarrycastApplication app = CarrycastApplication.start(topics.config(fixture.directory(),
                StreamsConfig.AT_LEAST_ONCE, tempDir.resolve("state"), "app-" + UUID.randomUUID()))) {
            records = ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), due, TIMEOUT, SETTLE);
        }

        assertEquals(due, records.size());
        Map<String, List<Forecast>> expected = testDriverForecasts(fixture, events);
        Map<String, List<Forecast>> actual = new HashMap<>();
        records.forEach(r -> actual.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
        assertEquals(expected, actual);
        actual.values().forEach(forKey -> assertEquals(List.of((long) window, window + 1L, window + 2L, window + 3L,
                window + 4L), forKey.stream().map(Forecast::stepsSeen).toList()));
    }

    @Test
    void shouldStepABatchOnceThePolledEventsAreProcessedWithoutTheMaximumWait() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(20, 3, 5);
        List<Fixture.Event> first = events.subList(0, 20);
        List<Fixture.Event> rest = events.subList(20, events.size());
        Topics topics = Topics.create("drained", 2);
        CarrycastConfig config = topics.config(fixture.directory(), StreamsConfig.AT_LEAST_ONCE, tempDir.resolve("state"),
                "app-" + UUID.randomUUID(), Map.of(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, 256,
                        CarrycastConfig.BATCH_MAX_WAIT_MS_CONFIG, 60_000));

        List<ConsumerRecord<String, Forecast>> records;
        try (CarrycastApplication app = CarrycastApplication.start(config)) {
            // Once the application runs (however long start-up takes), every later batch is stepped when its
            // task has processed its poll, well within the maximum wait of 60 s.
            KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), first);
            ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), first.size(), TIMEOUT, Duration.ZERO);
            KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), rest);
            records = ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), events.size(),
                    Duration.ofSeconds(30), Duration.ZERO);
        }
        assertEquals(events.size(), records.size(), "every batch stepped when its task reached the polled input's end");
    }

    @ParameterizedTest(name = "wipe local state: {0}")
    @ValueSource(booleans = {false, true})
    void shouldContinueEachKeysStateAfterARestart(boolean wipeLocalState) throws Exception {
        Fixture fixture = Fixture.load("lstm_stacked");
        List<Fixture.Event> events = fixture.interleavedEvents();
        int half = events.size() / 2;
        Topics topics = Topics.create("restart-" + wipeLocalState, 2);
        String appId = "app-" + UUID.randomUUID();
        Path stateDir = tempDir.resolve("state");
        CarrycastConfig config = topics.config(fixture.directory(), StreamsConfig.EXACTLY_ONCE_V2, stateDir, appId);

        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events.subList(0, half));
        try (CarrycastApplication app = CarrycastApplication.start(config)) {
            assertEquals(half, ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), half, TIMEOUT,
                    Duration.ZERO).size());
        }
        if (wipeLocalState) {
            deleteRecursively(stateDir);
        }
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events.subList(half, events.size()));
        List<ConsumerRecord<String, Forecast>> records;
        try (CarrycastApplication app = CarrycastApplication.start(config)) {
            records = ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), events.size(), TIMEOUT, SETTLE);
        }

        assertEquals(events.size(), records.size());
        Map<String, List<Forecast>> byKey = new HashMap<>();
        records.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            for (int i = 0; i < expected.size(); i++) {
                Forecast forecast = byKey.get(key).get(i);
                assertEquals(i + 1, forecast.stepsSeen(), key + " event " + i);
                assertMatches(expected.get(i), forecast, fixture.card(), fixture.tolerance(), key + " event " + i);
            }
        }
    }

    private Map<String, List<Forecast>> testDriverForecasts(Fixture fixture, List<Fixture.Event> events) {
        Map<String, List<Forecast>> byKey = new HashMap<>();
        try (ForecastDriver driver = ForecastDriver.open(fixture, tempDir.resolve("driver"))) {
            driver.send(events);
            for (TestRecord<String, Forecast> record : driver.forecasts()) {
                byKey.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
            }
        }
        return byKey;
    }

    private static void deleteRecursively(Path dir) throws java.io.IOException {
        try (var paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
