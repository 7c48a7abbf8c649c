package io.carrycast.testing;

import io.carrycast.forecast.Forecast;
import io.carrycast.topology.ForecastSerde;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** A read_committed consumer of a forecast topic that keeps everything it has read, for tests. */
public final class ForecastReader implements AutoCloseable {

    private final KafkaConsumer<String, Forecast> consumer;
    private final List<ConsumerRecord<String, Forecast>> records = new ArrayList<>();

    public ForecastReader(String bootstrap, String topic) {
        this(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic);
    }

    /** Reads with the given client settings (address and, on a secured cluster, credentials). */
    public ForecastReader(Map<String, Object> clientSettings, String topic) {
        Map<String, Object> settings = new HashMap<>(clientSettings);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumer = new KafkaConsumer<>(settings, new StringDeserializer(), new ForecastSerde().deserializer());
        consumer.subscribe(List.of(topic));
    }

    /** Reads until at least {@code count} records have arrived in all, or the timeout passes. */
    public int readUntil(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (records.size() < count && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }
        return records.size();
    }

    /** Keeps reading for {@code duration}, to catch records beyond those expected. */
    public void readFor(Duration duration) {
        long deadline = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }
    }

    /**
     * Reads until {@code expected} forecasts have arrived, then for {@code settle} more to catch any extra
     * (repeated) ones; gives up after {@code timeout}.
     */
    public static List<ConsumerRecord<String, Forecast>> readAll(String bootstrap, String topic, int expected,
                                                                 Duration timeout, Duration settle) {
        try (ForecastReader reader = new ForecastReader(bootstrap, topic)) {
            reader.readUntil(expected, timeout);
            reader.readFor(settle);
            return reader.records();
        }
    }

    public List<ConsumerRecord<String, Forecast>> records() {
        return records;
    }

    /** The forecasts by key, in the order they were read. */
    public Map<String, List<Forecast>> byKey() {
        Map<String, List<Forecast>> byKey = new LinkedHashMap<>();
        records.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
        return byKey;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
