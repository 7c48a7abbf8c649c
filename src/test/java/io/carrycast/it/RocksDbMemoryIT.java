package io.carrycast.it;

import static io.carrycast.testing.ForecastAssertions.assertMatches;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.app.CarrycastApplication;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.Topics;
import io.carrycast.testing.KafkaIo;
import io.carrycast.topology.ForecastTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The instance's RocksDB stores share one bounded block cache: Kafka Streams' own RocksDB metrics show
 * each store's cache, and the forecasts stay the same as PyTorch's.
 */
@ExtendWith(KafkaBroker.class)
class RocksDbMemoryIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final int PARTITIONS = 3;
    /** Kafka Streams' block cache per store when no config setter replaces it (RocksDBStore). */
    private static final long KAFKA_BLOCK_CACHE_PER_STORE = 50L << 20;

    @TempDir
    Path tempDir;

    @Test
    void shouldGiveEveryStoreOfEveryTaskTheOneConfiguredCacheAndForecastAsPyTorch() {
        long bound = 48L << 20;
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        Topics topics = Topics.create("rocksdb-memory", PARTITIONS);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);

        Map<String, Object> settings = settings(fixture, topics);
        settings.put(CarrycastConfig.ROCKSDB_MEMORY_BYTES_CONFIG, bound);
        List<ConsumerRecord<String, Forecast>> records;
        Map<String, Double> capacities;
        try (CarrycastApplication app = CarrycastApplication.start(CarrycastConfig.of(settings))) {
            records = ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), events.size(), TIMEOUT,
                    Duration.ZERO);
            capacities = blockCacheCapacities(app);
        }

        assertEquals(PARTITIONS * 3, capacities.size(), "state, pending and latest store per task: " + capacities);
        capacities.forEach((store, capacity) -> assertEquals(bound, capacity, 0.0, store));
        assertForecastsMatchPyTorch(fixture, events, records);
    }

    @Test
    void shouldLeaveEachStoreKafkaStreamsOwnCacheWhenTheBoundIsOff() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        Topics topics = Topics.create("rocksdb-unbounded", PARTITIONS);
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);

        Map<String, Object> settings = settings(fixture, topics);
        settings.put(CarrycastConfig.ROCKSDB_MEMORY_BYTES_CONFIG, 0L);
        Map<String, Double> capacities;
        try (CarrycastApplication app = CarrycastApplication.start(CarrycastConfig.of(settings))) {
            ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), events.size(), TIMEOUT, Duration.ZERO);
            capacities = blockCacheCapacities(app);
        }

        assertEquals(PARTITIONS * 3, capacities.size(), "state, pending and latest store per task: " + capacities);
        capacities.forEach((store, capacity) -> assertEquals(KAFKA_BLOCK_CACHE_PER_STORE, capacity, 0.0, store));
    }

    private Map<String, Object> settings(Fixture fixture, Topics topics) {
        Map<String, Object> settings = topics.settings(fixture.directory(), tempDir.resolve("state"),
                "app-" + UUID.randomUUID());
        settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        return settings;
    }

    /** Kafka Streams' block-cache-capacity gauge of each carrycast store, by task and store. */
    private static Map<String, Double> blockCacheCapacities(CarrycastApplication app) {
        Set<String> stores = Set.of(ForecastTopology.STATE_STORE, ForecastTopology.PENDING_STORE,
                ForecastTopology.LATEST_STORE);
        Map<String, Double> capacities = new TreeMap<>();
        for (Map.Entry<MetricName, ? extends Metric> metric : app.streams().metrics().entrySet()) {
            MetricName name = metric.getKey();
            String store = name.tags().get("rocksdb-state-id");
            if (name.name().equals("block-cache-capacity") && stores.contains(store)) {
                capacities.put(name.tags().get("task-id") + "/" + store, ((Number) metric.getValue().metricValue())
                        .doubleValue());
            }
        }
        return capacities;
    }

    private static void assertForecastsMatchPyTorch(Fixture fixture, List<Fixture.Event> events,
                                                    List<ConsumerRecord<String, Forecast>> records) {
        assertEquals(events.size(), records.size(), "one forecast per event");
        Map<String, List<Forecast>> byKey = new HashMap<>();
        records.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
        assertTrue(byKey.keySet().containsAll(fixture.keys()), byKey.keySet().toString());
        for (String key : fixture.keys()) {
            List<float[]> expected = fixture.expectedOutputs(key);
            for (int i = 0; i < expected.size(); i++) {
                Forecast forecast = byKey.get(key).get(i);
                assertEquals(i + 1, forecast.stepsSeen(), key + " event " + i);
                assertMatches(expected.get(i), forecast, fixture.card(), fixture.tolerance(), key + " event " + i);
            }
        }
    }
}
