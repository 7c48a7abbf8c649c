package io.carrycast.bench;

import io.carrycast.broker.EmbeddedKafkaBroker;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.SyntheticEvents;
import io.carrycast.topology.ForecastSerde;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * How long the keys of a killed instance wait for forecasts, with and without standby replicas. Two
 * instances (separate JVMs) share the state of many keys; one is killed with SIGKILL; the clock runs from
 * the kill until every key has a forecast for a new event, made from its restored state. Includes the
 * broker noticing the death ({@code session.timeout.ms} = 10 s here).
 *
 * <p>Run: {@code tools/bench.sh failover}.
 */
public final class FailoverBenchmark {

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path workDir = Files.createTempDirectory("carrycast-failover-");
        Map<Integer, List<Double>> seconds = new HashMap<>();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, workDir.resolve("kafka"))) {
            for (int r = 0; r < repeats; r++) {
                for (int standbys : new int[] {0, 1}) {
                    double s = run(broker, workDir.resolve("run-" + r + "-" + standbys), keys, standbys);
                    seconds.computeIfAbsent(standbys, k -> new ArrayList<>()).add(s);
                    System.out.printf(Locale.ROOT, "run %d, %d keys, num.standby.replicas=%d: every key forecast again "
                            + "%.1f s after the kill%n", r + 1, keys, standbys, s);
                }
            }
        } finally {
            EndToEndBenchmark.deleteRecursively(workDir);
        }
        seconds.forEach((standbys, list) -> {
            list.sort(Double::compare);
            System.out.printf(Locale.ROOT, "num.standby.replicas=%d: median %.1f s of %s%n", standbys,
                    list.get(list.size() / 2), list);
        });
    }

    private static double run(EmbeddedKafkaBroker broker, Path dir, int keys, int standbys) throws Exception {
        String id = "failover-" + UUID.randomUUID().toString().substring(0, 8);
        broker.createTopics(6, id + "-in", id + "-out", id + "-dlq");
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        settings.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbys);
        settings.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 64L << 20);
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, Fixture.load("lstm").directory().toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, id + "-in");
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, id + "-out");
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, id + "-dlq");
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, -1);
        settings.put("consumer.session.timeout.ms", 10_000);
        List<Fixture.Event> first = SyntheticEvents.levelFlowPressure(keys, 1, 1);
        List<Fixture.Event> second = SyntheticEvents.levelFlowPressure(keys, 2, 1).subList(keys, 2 * keys);
        try (KafkaConsumer<String, byte[]> consumer = EndToEndBenchmark.readCommittedConsumer(broker, id + "-out");
             AppProcess a = AppProcess.start(dir, "a", withState(settings, dir, "a"));
             AppProcess b = AppProcess.start(dir, "b", withState(settings, dir, "b"))) {
            KafkaIo.produce(broker.bootstrapServers(), id + "-in", first);
            await(consumer, keys, 1);
            // Standbys catch up through the changelog; give them the time a real deployment would have.
            Thread.sleep(standbys > 0 ? 15_000 : 2_000);
            long killed = System.nanoTime();
            b.kill();
            KafkaIo.produce(broker.bootstrapServers(), id + "-in", second);
            await(consumer, keys, 2);
            return (System.nanoTime() - killed) / 1e9;
        }
    }

    private static Map<String, Object> withState(Map<String, Object> settings, Path dir, String name) {
        Map<String, Object> copy = new HashMap<>(settings);
        copy.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-" + name).toString());
        return copy;
    }

    /** Waits until {@code keys} forecasts with the given steps_seen have arrived. */
    private static void await(KafkaConsumer<String, byte[]> consumer, int keys, long steps) {
        ForecastSerde serde = new ForecastSerde();
        int seen = 0;
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (seen < keys && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                Forecast forecast = serde.deserializer().deserialize(record.topic(), record.value());
                if (forecast.stepsSeen() == steps) {
                    seen++;
                }
            }
        }
        if (seen < keys) {
            throw new IllegalStateException("only " + seen + " of " + keys + " keys forecast at step " + steps);
        }
    }
}
