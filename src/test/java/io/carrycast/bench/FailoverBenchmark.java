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
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.StreamsConfig;

/**
 * How long the keys of a stopped instance wait for forecasts. Two instances (separate JVMs) share the
 * LSTM state of many keys on 6 partitions, exactly-once; one of them is stopped, and the clock runs from
 * the signal until every key has a forecast for a new event (produced right after the signal) made from
 * its carried-over state. Each run varies:
 * <ul>
 *   <li>the stop: {@code crash} (SIGKILL: the group notices after the session timeout, 10 s here),
 *       {@code graceful} (SIGTERM: carrycast closes Streams and leaves the group), or {@code none} (nobody
 *       stops: the time the new events take anyway, the baseline to subtract);</li>
 *   <li>standby replicas, 0 or 1;</li>
 *   <li>the rebalance protocol: {@code classic} (Kafka Streams' default) or {@code streams} (KIP-1071,
 *       {@code group.protocol=streams}). Under {@code streams} the session timeout and the standbys are
 *       settings of the group on the broker, so the harness sets {@code streams.session.timeout.ms} and
 *       {@code streams.num.standby.replicas} on the group, and starts the broker with
 *       {@code group.streams.min.session.timeout.ms} lowered from its 45 s default to allow 10 s.</li>
 * </ul>
 *
 * <p>Run: {@code tools/bench.sh failover [keys] [repeats] [protocols] [stops]}, e.g.
 * {@code tools/bench.sh failover 100000 3 classic,streams crash,graceful,none}.
 */
public final class FailoverBenchmark {

    private static final int SESSION_TIMEOUT_MS = 10_000;

    record Variant(String protocol, String stop, int standbys) {
        String label() {
            return String.format(Locale.ROOT, "%-7s %-8s standbys=%d", protocol, stop, standbys);
        }
    }

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        List<String> protocols = Arrays.asList((args.length > 2 ? args[2] : "classic,streams").split(","));
        List<String> stops = Arrays.asList((args.length > 3 ? args[3] : "crash,graceful,none").split(","));
        List<Variant> variants = new ArrayList<>();
        for (String protocol : protocols) {
            for (String stop : stops) {
                for (int standbys : stop.equals("none") ? new int[] {0} : new int[] {0, 1}) {
                    variants.add(new Variant(protocol, stop, standbys));
                }
            }
        }
        Path workDir = Files.createTempDirectory("carrycast-failover-");
        Map<Variant, List<Double>> seconds = new LinkedHashMap<>();
        // Allows a 10 s session under the streams protocol, as under classic; the broker's minimum is 45 s.
        Map<String, String> broker = Map.of("group.streams.min.session.timeout.ms", String.valueOf(SESSION_TIMEOUT_MS));
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(0, workDir.resolve("kafka"), broker)) {
            for (int r = 0; r < repeats; r++) {
                for (Variant variant : variants) {
                    double s = run(kafka, workDir.resolve("run-" + r + "-" + variants.indexOf(variant)), keys, variant);
                    seconds.computeIfAbsent(variant, k -> new ArrayList<>()).add(s);
                    System.out.printf(Locale.ROOT, "run %d, %d keys, %s: every key forecast again %.1f s after the "
                            + "signal%n", r + 1, keys, variant.label(), s);
                }
            }
        } finally {
            EndToEndBenchmark.deleteRecursively(workDir);
        }
        System.out.println();
        System.out.println("| protocol | stop | standbys | seconds (median) | runs |");
        System.out.println("|---|---|---|---|---|");
        seconds.forEach((variant, list) -> {
            List<Double> sorted = new ArrayList<>(list);
            sorted.sort(Double::compare);
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %.1f | %s |%n", variant.protocol(), variant.stop(),
                    variant.standbys(), sorted.get(sorted.size() / 2),
                    list.stream().map(v -> String.format(Locale.ROOT, "%.1f", v)).toList());
        });
    }

    private static double run(EmbeddedKafkaBroker broker, Path dir, int keys, Variant variant) throws Exception {
        String id = "failover-" + UUID.randomUUID().toString().substring(0, 8);
        broker.createTopics(6, id + "-in", id + "-out", id + "-dlq");
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        settings.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 64L << 20);
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, Fixture.load("lstm").directory().toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, id + "-in");
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, id + "-out");
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, id + "-dlq");
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, -1);
        if (variant.protocol().equals("streams")) {
            settings.put(StreamsConfig.GROUP_PROTOCOL_CONFIG, "streams");
            configureStreamsGroup(broker, id, variant.standbys());
        } else {
            settings.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, variant.standbys());
            settings.put("consumer.session.timeout.ms", SESSION_TIMEOUT_MS);
        }
        List<Fixture.Event> first = SyntheticEvents.levelFlowPressure(keys, 1, 1);
        List<Fixture.Event> second = SyntheticEvents.levelFlowPressure(keys, 2, 1).subList(keys, 2 * keys);
        try (KafkaConsumer<String, byte[]> consumer = EndToEndBenchmark.readCommittedConsumer(broker, id + "-out");
             AppProcess a = AppProcess.start(dir, "a", withState(settings, dir, "a"));
             AppProcess b = AppProcess.start(dir, "b", withState(settings, dir, "b"))) {
            KafkaIo.produce(broker.bootstrapServers(), id + "-in", first);
            await(consumer, keys, 1, a, b);
            // Standbys catch up through the changelog; give them the time a real deployment would have.
            Thread.sleep(variant.standbys() > 0 ? 15_000 : 2_000);
            long signalled = System.nanoTime();
            switch (variant.stop()) {
                case "crash" -> b.kill();
                case "graceful" -> b.terminate();
                case "none" -> { }
                default -> throw new IllegalArgumentException("stop must be crash, graceful or none: " + variant.stop());
            }
            KafkaIo.produce(broker.bootstrapServers(), id + "-in", second);
            await(consumer, keys, 2, a, b);
            double elapsed = (System.nanoTime() - signalled) / 1e9;
            if (variant.stop().equals("graceful")) {
                if (!b.awaitExit(Duration.ofSeconds(60))) {
                    throw new IllegalStateException("instance b still running 60 s after SIGTERM:\n" + b.log());
                }
                System.out.printf(Locale.ROOT, "  instance b had exited %.1f s after SIGTERM when checked%n",
                        (System.nanoTime() - signalled) / 1e9);
            }
            return elapsed;
        }
    }

    /** Under the streams protocol the session timeout and the standbys belong to the group, on the broker. */
    private static void configureStreamsGroup(EmbeddedKafkaBroker broker, String group, int standbys) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.GROUP, group);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(
                    new AlterConfigOp(new ConfigEntry("streams.session.timeout.ms", String.valueOf(SESSION_TIMEOUT_MS)),
                            AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("streams.num.standby.replicas", String.valueOf(standbys)),
                            AlterConfigOp.OpType.SET)))).all().get();
        }
    }

    private static Map<String, Object> withState(Map<String, Object> settings, Path dir, String name) {
        Map<String, Object> copy = new LinkedHashMap<>(settings);
        copy.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state-" + name).toString());
        return copy;
    }

    /** Waits until every one of {@code keys} keys has a forecast with the given steps_seen. */
    private static void await(KafkaConsumer<String, byte[]> consumer, int keys, long steps, AppProcess a, AppProcess b) {
        ForecastSerde serde = new ForecastSerde();
        Set<String> seen = new HashSet<>();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (seen.size() < keys && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                Forecast forecast = serde.deserializer().deserialize(record.topic(), record.value());
                if (forecast.stepsSeen() == steps) {
                    seen.add(forecast.key());
                }
            }
        }
        if (seen.size() < keys) {
            throw new IllegalStateException("only " + seen.size() + " of " + keys + " keys forecast at step " + steps
                    + "\n--- a:\n" + tail(a.log()) + "\n--- b:\n" + tail(b.log()));
        }
    }

    private static String tail(String log) {
        return log.length() > 6000 ? log.substring(log.length() - 6000) : log;
    }
}
