package io.carrycast.bench;

import io.carrycast.broker.EmbeddedKafkaBroker;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.testing.AppProcess;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Resident memory of one carrycast instance (a separate JVM running {@code carrycast run}) holding the
 * LSTM-64 state of many keys over 24 partitions, with RocksDB's memory bounded (carrycast's default) and
 * without the bound (Kafka Streams' per-store caches and memtables). For each setting: the process's
 * resident set ({@code VmRSS} and its peak {@code VmHWM} from {@code /proc/PID/status}), the heap in use
 * after a full GC (from the instance's own {@code /metrics}, after {@code jcmd PID GC.run}), and the
 * RocksDB memtables and block cache as Kafka Streams reports them, once when the instance is running with
 * no keys and once when every key's events have been forecast.
 *
 * <p>Run: {@code tools/bench.sh memory [keys] [events-per-key] [bounds...]}, bounds in MiB, 0 for none
 * (default: 256 0).
 */
public final class MemoryBenchmark {

    private static final int PARTITIONS = 24;

    /** What was read from the instance at one moment. */
    record Sample(long rssBytes, long peakRssBytes, double heapUsedBytes, double memtableBytes, double blockCacheBytes) {
        String format() {
            return String.format(Locale.ROOT, "RSS %,d MiB (peak %,d), heap used after GC %,.0f MiB, RocksDB "
                            + "memtables %,.0f MiB, block cache in use %,.0f MiB", rssBytes >> 20, peakRssBytes >> 20,
                    heapUsedBytes / (1 << 20), memtableBytes / (1 << 20), blockCacheBytes / (1 << 20));
        }
    }

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int eventsPerKey = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        List<Long> boundsMiB = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            boundsMiB.add(Long.parseLong(args[i]));
        }
        if (boundsMiB.isEmpty()) {
            boundsMiB = List.of(256L, 0L);
        }
        Path workDir = Files.createTempDirectory("carrycast-memory-");
        Path model = Path.of(MemoryBenchmark.class.getResource("/bench/lstm64").toURI());
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, workDir.resolve("kafka"))) {
            for (long bound : boundsMiB) {
                run(broker, workDir.resolve("run-" + bound), model, keys, eventsPerKey, bound);
            }
        } finally {
            EndToEndBenchmark.deleteRecursively(workDir);
        }
    }

    private static void run(EmbeddedKafkaBroker broker, Path dir, Path model, int keys, int eventsPerKey, long boundMiB)
            throws Exception {
        String id = "memory-" + UUID.randomUUID().toString().substring(0, 8);
        broker.createTopics(PARTITIONS, id + "-in", id + "-out", id + "-dlq");
        int httpPort = freePort();
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        // config/carrycast.properties' record cache.
        settings.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 64L << 20);
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, model.toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, id + "-in");
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, id + "-out");
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, id + "-dlq");
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(CarrycastConfig.TIMESTAMP_FORMAT_CONFIG, "epoch_millis");
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, httpPort);
        settings.put(CarrycastConfig.ROCKSDB_MEMORY_BYTES_CONFIG, boundMiB << 20);
        String label = boundMiB == 0 ? "RocksDB unbounded (Kafka Streams' per-store defaults)"
                : "RocksDB bounded to " + boundMiB + " MiB";
        try (KafkaConsumer<String, byte[]> consumer = EndToEndBenchmark.readCommittedConsumer(broker, id + "-out");
             AppProcess app = AppProcess.start(dir, "app", settings)) {
            awaitRunning(app, httpPort);
            Sample idle = sample(app, httpPort);
            long started = System.nanoTime();
            produce(broker, id + "-in", keys, eventsPerKey);
            int expected = keys * eventsPerKey;
            long seen = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            long nextReport = System.nanoTime();
            while (seen < expected && System.nanoTime() < deadline && app.isAlive()) {
                seen += consumer.poll(Duration.ofMillis(100)).count();
                if (System.nanoTime() > nextReport) {
                    System.out.printf(Locale.ROOT, "  %.0f s: %,d forecasts; RocksDB: %s%n",
                            (System.nanoTime() - started) / 1e9, seen, rocksDbActivity(httpPort));
                    nextReport += Duration.ofSeconds(10).toNanos();
                }
            }
            if (seen < expected) {
                throw new IllegalStateException(label + ": only " + seen + " of " + expected + " forecasts arrived;"
                        + " log:\n" + app.log());
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            Thread.sleep(5_000);
            Sample loaded = sample(app, httpPort);
            System.out.printf(Locale.ROOT, "%s, %,d keys x %d events over %d partitions (%,.0f events/s including "
                    + "the preload):%n  no keys:  %s%n  all keys: %s%n  per key:  %.0f bytes resident, %.0f bytes "
                    + "of heap%n", label, keys, eventsPerKey, PARTITIONS, expected / seconds, idle.format(),
                    loaded.format(), (double) (loaded.rssBytes() - idle.rssBytes()) / keys,
                    (loaded.heapUsedBytes() - idle.heapUsedBytes()) / keys);
        }
    }

    private static void produce(EmbeddedKafkaBroker broker, String topic, int keys, int eventsPerKey) {
        Random random = new Random(7);
        long base = System.currentTimeMillis() - 86_400_000L;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ProducerConfig.LINGER_MS_CONFIG, 10,
                ProducerConfig.BATCH_SIZE_CONFIG, 262_144, ProducerConfig.ACKS_CONFIG, "1"),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < eventsPerKey; i++) {
                for (int k = 0; k < keys; k++) {
                    long time = base + i * 1000L;
                    producer.send(new ProducerRecord<>(topic, null, time, EndToEndBenchmark.key(k),
                            EndToEndBenchmark.event(time, random)));
                }
            }
            producer.flush();
        }
    }

    private static void awaitRunning(AppProcess app, int httpPort) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline && app.isAlive()) {
            try {
                if (get(httpPort, "/health").statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // the instance is still starting
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException((app.isAlive() ? "instance not RUNNING within 10 minutes"
                : "instance exited before it was RUNNING") + "; log:\n" + app.log());
    }

    private static Sample sample(AppProcess app, int httpPort) throws Exception {
        Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(app.pid()), "GC.run").redirectErrorStream(true).start();
        gc.getInputStream().readAllBytes();
        gc.waitFor(60, TimeUnit.SECONDS);
        String status = Files.readString(Path.of("/proc", Long.toString(app.pid()), "status"));
        String metrics = get(httpPort, "/metrics").body();
        return new Sample(statusKiB(status, "VmRSS") << 10, statusKiB(status, "VmHWM") << 10,
                sum(metrics, "jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\}"),
                sum(metrics, "kafka_stream_state_size_all_mem_tables\\{[^}]*\\}"),
                // Every store reports the shared cache's whole usage when bounded: the largest is the cache's.
                max(metrics, "kafka_stream_state_block_cache_usage\\{[^}]*\\}"));
    }

    /** What the instance's stores are doing, from Kafka Streams' RocksDB metrics: a stall shows here. */
    private static String rocksDbActivity(int httpPort) throws InterruptedException {
        try {
            String metrics = get(httpPort, "/metrics").body();
            return String.format(Locale.ROOT, "memtables %.0f MiB, %.0f immutable, %.0f flushes pending, %.0f running; "
                            + "%.0f compactions pending, %.0f running, %.0f MiB to compact",
                    sum(metrics, "kafka_stream_state_size_all_mem_tables\\{[^}]*\\}") / (1 << 20),
                    sum(metrics, "kafka_stream_state_num_immutable_mem_table\\{[^}]*\\}"),
                    sum(metrics, "kafka_stream_state_mem_table_flush_pending\\{[^}]*\\}"),
                    sum(metrics, "kafka_stream_state_num_running_flushes\\{[^}]*\\}"),
                    sum(metrics, "kafka_stream_state_compaction_pending\\{[^}]*\\}"),
                    sum(metrics, "kafka_stream_state_num_running_compactions\\{[^}]*\\}"),
                    sum(metrics, "kafka_stream_state_estimate_pending_compaction_bytes\\{[^}]*\\}") / (1 << 20));
        } catch (IOException | RuntimeException e) {
            return "metrics not readable (" + e.getMessage() + ")";
        }
    }

    private static long statusKiB(String status, String field) {
        Matcher m = Pattern.compile("(?m)^" + field + ":\\s+(\\d+) kB").matcher(status);
        if (!m.find()) {
            throw new IllegalStateException("no " + field + " in /proc status");
        }
        return Long.parseLong(m.group(1));
    }

    private static double sum(String metrics, String series) {
        return values(metrics, series).stream().mapToDouble(Double::doubleValue).sum();
    }

    private static double max(String metrics, String series) {
        return values(metrics, series).stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    private static List<Double> values(String metrics, String series) {
        List<Double> values = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^" + series + " (\\S+)$").matcher(metrics);
        while (m.find()) {
            values.add(Double.parseDouble(m.group(1)));
        }
        return values;
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
