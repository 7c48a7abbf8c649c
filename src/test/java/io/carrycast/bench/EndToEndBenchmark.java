package io.carrycast.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.app.CarrycastApplication;
import io.carrycast.broker.EmbeddedKafkaBroker;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LateEvents;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.state.KeyHistory;
import io.carrycast.state.KeyState;
import io.carrycast.topology.ForecastSerde;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.Random;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

/**
 * End-to-end throughput and latency on the embedded broker, every scenario in one JVM and one run so
 * they are compared side by side. Throughput: events preloaded, then the forecaster started; events/s is
 * measured between 30 % and 90 % of the output (steady state: JIT warm, windows full). Latency: events
 * produced at a fixed rate with the wall clock as event time; produce-to-consume p50/p99.
 *
 * <p>Run with {@code tools/bench.sh} (quick set) or {@code tools/bench.sh full}.
 */
public final class EndToEndBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 4;
    private static final int WINDOW = 120;
    private static final String PYTHON_PEER_SCENARIO = "python peer 100K keys alos";
    /** Events per cadence bucket of a resampled key: the card's cadence is this many of the events' seconds. */
    private static final int EVENTS_PER_BUCKET = 4;

    private final EmbeddedKafkaBroker broker;
    private final Path workDir;
    private final Path lstm64;

    private EndToEndBenchmark(EmbeddedKafkaBroker broker, Path workDir) throws Exception {
        this.broker = broker;
        this.workDir = workDir;
        this.lstm64 = Path.of(EndToEndBenchmark.class.getResource("/bench/lstm64").toURI());
    }

    /** What one run does: the topology, its model card's mode and window, and the settings that differ. */
    record Scenario(String name, String design, int keys, int eventsPerKey, String guarantee, Map<String, Object> extra) {
        int events() {
            return keys * eventsPerKey;
        }

        /**
         * A window-mode key forecasts from its W-th event on; a resampled key once per bucket but its last, which
         * no later event closes.
         */
        int forecasts() {
            if (design.equals("resampled")) {
                return keys * (eventsPerKey / EVENTS_PER_BUCKET - 1);
            }
            return design.equals("window") ? keys * (eventsPerKey - WINDOW + 1) : events();
        }

        /** Input events per forecast, to state a resampled run's rate per input event. */
        int eventsPerForecast() {
            return design.equals("resampled") ? EVENTS_PER_BUCKET : 1;
        }
    }

    record Result(Scenario scenario, double eventsPerSecond, List<Latency> latencies, CpuPerEvent cpu) {
    }

    /** Produce-to-consume latency at one input rate (events/s), in milliseconds. */
    record Latency(int rate, double p50Millis, double p99Millis) {
    }

    /**
     * CPU microseconds per forecast over the measured stretch: the application's stream thread, its producer's
     * network thread, and everything else in this JVM (the broker, the harness's consumer).
     */
    record CpuPerEvent(double streamThread, double producerThread, double rest) {
    }

    record Throughput(double eventsPerSecond, CpuPerEvent cpu) {
    }

    /** CPU time used so far, split as {@link CpuPerEvent} splits it. */
    private record CpuSnapshot(long streamThreadNanos, long producerThreadNanos, long processNanos) {
        /** @param peer a forecaster in its own process, whose CPU counts as the stream thread's; or null */
        static CpuSnapshot take(String applicationId, ProcessHandle peer) {
            if (peer != null) {
                long peerNanos = peer.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
                var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                return new CpuSnapshot(peerNanos, 0, os.getProcessCpuTime() + peerNanos);
            }
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long stream = 0;
            long producer = 0;
            for (Thread thread : Thread.getAllStackTraces().keySet()) {
                String name = thread.getName();
                if (!name.contains(applicationId) || !name.contains("StreamThread")) {
                    continue;
                }
                long nanos = Math.max(0, threads.getThreadCpuTime(thread.getId()));
                if (name.contains("producer")) {
                    producer += nanos;
                } else {
                    stream += nanos;
                }
            }
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            return new CpuSnapshot(stream, producer, os.getProcessCpuTime());
        }

        CpuPerEvent perEventSince(CpuSnapshot start, double events) {
            double stream = (streamThreadNanos - start.streamThreadNanos) / 1e3 / events;
            double producer = (producerThreadNanos - start.producerThreadNanos) / 1e3 / events;
            double process = (processNanos - start.processNanos) / 1e3 / events;
            return new CpuPerEvent(stream, producer, process - stream - producer);
        }
    }

    public static void main(String[] args) throws Exception {
        boolean full = Arrays.asList(args).contains("full");
        profileDir = Arrays.stream(args).filter(a -> a.startsWith("profile=")).map(a -> Path.of(a.substring(8)))
                .findFirst().orElse(null);
        int repeats = Arrays.stream(args).filter(a -> a.startsWith("repeats=")).map(a -> Integer.parseInt(a.substring(8)))
                .findFirst().orElse(full ? 5 : 3);
        latencyRates = Arrays.stream(args).filter(a -> a.startsWith("rates=")).findFirst()
                .map(a -> Arrays.stream(a.substring(6).split(",")).map(Integer::parseInt).toList()).orElse(List.of(2_000));
        latencySeconds = Arrays.stream(args).filter(a -> a.startsWith("latency-seconds="))
                .map(a -> Integer.parseInt(a.substring(16))).findFirst().orElse(10);
        latencySettleSeconds = Arrays.stream(args).filter(a -> a.startsWith("latency-settle-seconds="))
                .map(a -> Integer.parseInt(a.substring(23))).findFirst().orElse(0);
        // set=NAME=VALUE: a setting added to every scenario, e.g. set=producer.linger.ms=5
        Arrays.stream(args).filter(a -> a.startsWith("set=")).map(a -> a.substring(4).split("=", 2))
                .forEach(setting -> commonSettings.put(setting[0], setting[1]));
        System.setProperty("java.awt.headless", "true");
        Path workDir = Files.createTempDirectory("carrycast-bench-");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(0, workDir.resolve("kafka"))) {
            EndToEndBenchmark bench = new EndToEndBenchmark(broker, workDir);
            String only = Arrays.stream(args).filter(a -> a.startsWith("only=")).map(a -> a.substring(5))
                    .findFirst().orElse("");
            int eventsPerKey = Arrays.stream(args).filter(a -> a.startsWith("events-per-key="))
                    .map(a -> Integer.parseInt(a.substring(15))).findFirst().orElse(4);
            Pattern selected = Pattern.compile(only);
            List<Scenario> scenarios = scenarios(full, eventsPerKey).stream()
                    .filter(s -> selected.matcher(s.name()).find()).toList();
            String pythonMissing = scenarios.stream().anyMatch(s -> s.design().equals("python")) ? pythonPeerMissing() : null;
            if (pythonMissing != null) {
                System.out.println("skipped: " + PYTHON_PEER_SCENARIO + ": " + pythonMissing);
                scenarios = scenarios.stream().filter(s -> !s.design().equals("python")).toList();
            }
            Map<String, List<Result>> results = new java.util.LinkedHashMap<>();
            // Every scenario once at a quarter of its size first, unreported: the first run of a code path
            // (transactions, the passthrough's own processor) ran at half speed before the JIT compiler caught up.
            for (Scenario scenario : scenarios) {
                bench.run(new Scenario("warm-up " + scenario.name(), scenario.design(), scenario.keys() / 4,
                        scenario.eventsPerKey(), scenario.guarantee(), scenario.extra()), false);
            }
            for (int r = 0; r < repeats; r++) {
                for (Scenario scenario : scenarios) {
                    Result result = bench.run(scenario, !scenario.design().equals("window")
                            && !scenario.design().equals("resampled") && !Arrays.asList(args).contains("no-latency"));
                    System.out.printf(Locale.ROOT, "run %d %-34s %9.0f events/s%s  cpu us/event: stream %.1f producer %.1f"
                                    + " rest %.1f%n", r + 1, scenario.name(), result.eventsPerSecond(),
                            result.latencies().stream().map(l -> String.format(Locale.ROOT, "  at %d/s p50 %.1f p99 %.1f ms",
                                    l.rate(), l.p50Millis(), l.p99Millis())).reduce("", String::concat),
                            result.cpu().streamThread(), result.cpu().producerThread(), result.cpu().rest());
                    results.computeIfAbsent(scenario.name(), k -> new ArrayList<>()).add(result);
                }
            }
            if (only.isEmpty() || selected.matcher("restore").find()) {
                List<Double> seconds = new ArrayList<>();
                for (int r = 0; r < repeats; r++) {
                    seconds.add(bench.restore(full ? 1_000_000 : 1_000_000));
                    System.out.printf(Locale.ROOT, "run %d restore 1M keys from changelog: %.1f s%n", r + 1,
                            seconds.get(seconds.size() - 1));
                }
                seconds.sort(Double::compare);
                System.out.printf(Locale.ROOT, "restore 1M keys, wiped state dir: median %.1f s of %s%n",
                        seconds.get(seconds.size() / 2), seconds);
            }
            if (only.isEmpty() || selected.matcher("correction").find()) {
                corrections(bench.lstm64);
            }
            printMedians(results);
            compareSamples(PYTHON_PEER_SCENARIO, "batched 100K keys alos");
            compareRates(results, "resampled 100K keys alos", "batched 100K keys alos");
            compareRates(results, "resampled 100K keys alos lateness 8s", "resampled 100K keys alos");
            compareRates(results, "resampled 100K keys alos lateness 8s 400MB cache",
                    "resampled 100K keys alos 400MB cache");
        } finally {
            deleteRecursively(workDir);
        }
    }

    /** @param perKey events per key in the 100K-key scenarios: more give a longer measured stretch */
    static List<Scenario> scenarios(boolean full, int perKey) {
        List<Scenario> list = new ArrayList<>();
        Map<String, Object> bigCache = Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20);
        for (String guarantee : List.of(StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2)) {
            String g = guarantee.equals(StreamsConfig.AT_LEAST_ONCE) ? "alos" : "eos";
            list.add(new Scenario("passthrough 100K keys " + g, "passthrough", 100_000, perKey, guarantee, Map.of()));
            list.add(new Scenario("naive 100K keys " + g, "naive", 100_000, perKey, guarantee, Map.of()));
            list.add(new Scenario("batched 100K keys " + g, "batched", 100_000, perKey, guarantee, bigCache));
            // Batched carrycast's own ceiling: a state-sized value per event through the same cached, changelogged store.
            list.add(new Scenario("stateful passthrough 100K keys " + g, "stateful-passthrough", 100_000, perKey,
                    guarantee, bigCache));
        }
        // Routes: the same LSTM-64 bundle loaded once per route, the keys split evenly among them by their number
        // (a key-regex rule on the number's last two digits per declared route, the rest to the default route).
        for (int routes : new int[] {2, 20}) {
            list.add(new Scenario("routed x" + routes + " 100K keys alos", "batched-routes-" + routes, 100_000, perKey,
                    StreamsConfig.AT_LEAST_ONCE, bigCache));
        }
        // Twenty routes with Kafka Streams' poll of 1000 records rather than carrycast's 1000 per route.
        list.add(new Scenario("routed x20 100K keys alos 1000-record polls", "batched-routes-20", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                        "max.poll.records", 1000)));
        // The same in-order events with late events allowed: every event also writes its key's history.
        list.add(new Scenario("batched 100K keys alos lateness 60s", "batched", 100_000, perKey, StreamsConfig.AT_LEAST_ONCE,
                Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                        CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, 60_000L)));
        list.add(new Scenario("batched 100K keys alos 10MB cache", "batched", 100_000, perKey, StreamsConfig.AT_LEAST_ONCE, Map.of()));
        // Four events per key and bucket (cadence PT4S, events 1 s apart), three buckets per key: input events/s.
        list.add(new Scenario("resampled 100K keys alos", "resampled", 100_000, 3 * EVENTS_PER_BUCKET,
                StreamsConfig.AT_LEAST_ONCE, bigCache));
        // The same in-order events with late events allowed (two buckets): each key keeps its recent events and
        // the stepped buckets a late event could revise, and each step writes the key's history.
        list.add(new Scenario("resampled 100K keys alos lateness 8s", "resampled", 100_000, 3 * EVENTS_PER_BUCKET,
                StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                        CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, 2_000L * EVENTS_PER_BUCKET)));
        // Both with a record cache that holds every key's records (docs/operations.md, "Sizing the state store": about 2.5 KB
        // of state record and 0.6 KB of open bucket per key with the lateness above).
        list.add(new Scenario("resampled 100K keys alos 400MB cache", "resampled", 100_000, 3 * EVENTS_PER_BUCKET,
                StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 400L << 20)));
        list.add(new Scenario("resampled 100K keys alos lateness 8s 400MB cache", "resampled", 100_000,
                3 * EVENTS_PER_BUCKET, StreamsConfig.AT_LEAST_ONCE, Map.of(
                        StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 400L << 20,
                        CarrycastConfig.LATENESS_ALLOWED_MS_CONFIG, 2_000L * EVENTS_PER_BUCKET)));
        list.add(new Scenario("batched+window60 100K keys alos", "batched-window-kept", 100_000, perKey, StreamsConfig.AT_LEAST_ONCE, bigCache));
        // Rollout to 24 steps: 23 more batched model calls per batch, and 24 points in every forecast.
        list.add(new Scenario("batched+rollout24 100K keys alos", "batched-rollout24", 100_000, perKey, StreamsConfig.AT_LEAST_ONCE, bigCache));
        // Live scoring: the waiting forecasts read and written with the state per event, one score per event (horizon 1).
        list.add(new Scenario("batched+scoring 100K keys alos", "batched", 100_000, perKey, StreamsConfig.AT_LEAST_ONCE,
                Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                        CarrycastConfig.SCORING_ENABLED_CONFIG, true)));
        // Intervals from live errors on top of scoring: each key's last errors (the default window of 100) kept in its
        // record and two levels' bounds per forecast. Run with events-per-key above the window to fill it.
        list.add(new Scenario("batched+scoring+intervals 100K keys alos", "batched", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                        CarrycastConfig.SCORING_ENABLED_CONFIG, true, CarrycastConfig.INTERVALS_LEVELS_CONFIG, "0.8,0.95")));
        // The same with the record cache grown for the larger records (a window of 100 errors is 416 bytes a key).
        list.add(new Scenario("batched+scoring+intervals 100K keys alos 200MB cache", "batched", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 200L << 20,
                        CarrycastConfig.SCORING_ENABLED_CONFIG, true, CarrycastConfig.INTERVALS_LEVELS_CONFIG, "0.8,0.95")));
        // A challenger of the same size beside the live model: twice the model calls and state stores.
        list.add(new Scenario("batched+challenger 100K keys alos", "batched-challenger", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, bigCache));
        // The same with the record cache grown for the extra stores (100K states of 550 bytes fill 100 MB alone).
        Map<String, Object> twiceTheCache = Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 200L << 20);
        list.add(new Scenario("batched 100K keys alos 200MB cache", "batched", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, twiceTheCache));
        list.add(new Scenario("batched+scoring 100K keys alos 200MB cache", "batched", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 200L << 20,
                        CarrycastConfig.SCORING_ENABLED_CONFIG, true)));
        list.add(new Scenario("batched+challenger 100K keys alos 200MB cache", "batched-challenger", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, twiceTheCache));
        list.add(new Scenario("batched+HTTP latest store 100K keys alos", "batched", 100_000, perKey, StreamsConfig.AT_LEAST_ONCE,
                Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20, CarrycastConfig.HTTP_PORT_CONFIG, 0)));
        list.add(new Scenario("batched 100K keys eos 16KB producer batches", "batched", 100_000, perKey, StreamsConfig.EXACTLY_ONCE_V2,
                Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20, "producer.batch.size", 16_384)));
        list.add(new Scenario("batched 100K keys eos 1s commits", "batched", 100_000, perKey, StreamsConfig.EXACTLY_ONCE_V2,
                Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20, StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000)));
        // Without the light-load commit requests: at a light load too, commits only every commit.interval.ms.
        list.add(new Scenario("batched 100K keys alos no light-load commits", "batched", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                        CarrycastConfig.COMMIT_LIGHT_LOAD_INTERVAL_MS_CONFIG, 0L)));
        // At-least-once commits every 30 s by default; each commit writes the record cache's dirty states out while
        // the stream thread waits, so a shorter interval trades full-load deduplication for shorter stalls.
        for (int commitMs : new int[] {1000, 5000}) {
            list.add(new Scenario("batched 100K keys alos " + commitMs / 1000 + "s commits", "batched", 100_000, perKey,
                    StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                            StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs)));
        }
        for (String guarantee : List.of(StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2)) {
            // Kafka's default of one stream thread, where carrycast's default is one per CPU.
            String g = guarantee.equals(StreamsConfig.AT_LEAST_ONCE) ? "alos" : "eos";
            Map<String, Object> oneThread = Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                    StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
            list.add(new Scenario("passthrough 100K keys " + g + " 1 thread", "passthrough", 100_000, perKey, guarantee, oneThread));
            list.add(new Scenario("batched 100K keys " + g + " 1 thread", "batched", 100_000, perKey, guarantee, oneThread));
        }
        list.add(new Scenario("batched 100K keys alos RocksDB unbounded", "batched", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20,
                        CarrycastConfig.ROCKSDB_MEMORY_BYTES_CONFIG, 0L)));
        list.add(new Scenario("batched 100K keys alos linger 100ms", "batched", 100_000, perKey, StreamsConfig.AT_LEAST_ONCE,
                Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20, "producer.linger.ms", 100)));
        list.add(new Scenario("passthrough 100K keys alos linger 100ms", "passthrough", 100_000, perKey,
                StreamsConfig.AT_LEAST_ONCE, Map.of("producer.linger.ms", 100)));
        // The loop a user would otherwise write: Python, PyTorch stepped once per message, state in a dict.
        list.add(new Scenario(PYTHON_PEER_SCENARIO, "python", 100_000, perKey, StreamsConfig.AT_LEAST_ONCE, Map.of()));
        list.add(new Scenario("stateful 1K keys alos", "batched", 1_000, 400, StreamsConfig.AT_LEAST_ONCE, bigCache));
        list.add(new Scenario("window W=120 1K keys alos", "window", 1_000, 400, StreamsConfig.AT_LEAST_ONCE, bigCache));
        if (full) {
            list.add(new Scenario("batched 1K keys alos", "batched", 1_000, 400, StreamsConfig.AT_LEAST_ONCE, bigCache));
            list.add(new Scenario("batched 1M keys alos", "batched", 1_000_000, 2, StreamsConfig.AT_LEAST_ONCE, bigCache));
            list.add(new Scenario("naive 1M keys alos", "naive", 1_000_000, 2, StreamsConfig.AT_LEAST_ONCE, bigCache));
        }
        return list;
    }

    Result run(Scenario scenario, boolean measureLatency) throws Exception {
        String id = scenario.design() + "-" + UUID.randomUUID().toString().substring(0, 8);
        String input = id + "-in";
        String output = id + "-out";
        broker.createTopics(PARTITIONS, input, output, id + "-dlq", id + "-challenger");
        // On a bucket boundary, so that a resampled key's events 1 s apart fill its buckets four by four.
        long bucketMs = EVENTS_PER_BUCKET * 1000L;
        long base = (System.currentTimeMillis() - 86_400_000L * 30) / bucketMs * bucketMs;
        produce(input, scenario.keys(), scenario.eventsPerKey(), base, 0);
        try (App app = start(scenario, id, input, output);
             KafkaConsumer<String, byte[]> consumer = consumer(output)) {
            // Between 30 % and 90 % of the output every event yields one forecast (windows are full by then).
            Throughput throughput = drain(consumer, scenario.forecasts(), id, id, app.peer(), samples(scenario));
            if (app.closer() instanceof CarrycastApplication forecaster) {
                printModelCalls(scenario, forecaster.meters());
                printFetches(scenario, forecaster.streams());
            }
            List<Latency> latencies = new ArrayList<>();
            for (int rate : measureLatency ? latencyRates : List.<Integer>of()) {
                latencies.add(latency(consumer, input, scenario.keys(), rate, latencySeconds));
            }
            int perForecast = scenario.eventsPerForecast();
            CpuPerEvent cpu = throughput.cpu();
            return new Result(scenario, throughput.eventsPerSecond() * perForecast, latencies, new CpuPerEvent(
                    cpu.streamThread() / perForecast, cpu.producerThread() / perForecast, cpu.rest() / perForecast));
        } finally {
            discard(id);
        }
    }

    /**
     * The run's model calls, all routes together, over the whole run: how many events each call stepped and what a
     * call cost, beside the rate, so that a rate that falls with smaller calls shows it.
     */
    private static void printModelCalls(Scenario scenario, MeterRegistry meters) {
        long calls = 0;
        double events = 0;
        double nanos = 0;
        for (var batch : meters.find("carrycast.batch.size").summaries()) {
            calls += batch.count();
            events += batch.totalAmount();
        }
        for (var call : meters.find("carrycast.inference.latency").timers()) {
            nanos += call.totalTime(TimeUnit.NANOSECONDS);
        }
        if (calls > 0) {
            System.out.printf(Locale.ROOT, "  %s: %d model calls, %.1f events per call, %.1f us per call, "
                    + "%.2f us of model calls per event%n", scenario.name(), calls, events / calls,
                    nanos / 1e3 / calls, nanos / 1e3 / events);
        }
    }

    /** What the main consumers' fetches brought, averaged over the stream threads: records and bytes per fetch. */
    private static void printFetches(Scenario scenario, KafkaStreams streams) {
        List<Double> records = new ArrayList<>();
        List<Double> bytes = new ArrayList<>();
        streams.metrics().forEach((name, metric) -> {
            String client = name.tags().getOrDefault("client-id", "");
            if (!name.group().equals("consumer-fetch-manager-metrics") || name.tags().containsKey("topic")
                    || client.contains("restore") || client.contains("global")) {
                return;
            }
            if (name.name().equals("records-per-request-avg")) {
                records.add(((Number) metric.metricValue()).doubleValue());
            } else if (name.name().equals("fetch-size-avg")) {
                bytes.add(((Number) metric.metricValue()).doubleValue());
            }
        });
        System.out.printf(Locale.ROOT, "  %s: main consumers' fetches, records per fetch %s, bytes per fetch %s%n",
                scenario.name(), records, bytes);
    }

    /**
     * Deletes a run's topics (its changelogs included) and state directory: the broker keeps data forever,
     * and a full benchmark writes tens of gigabytes otherwise.
     */
    private void discard(String id) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()))) {
            List<String> topics = admin.listTopics().names().get().stream().filter(t -> t.startsWith(id)).toList();
            admin.deleteTopics(topics).all().get();
        }
        deleteRecursively(workDir.resolve("state-" + id));
    }

    /**
     * Fills the state of {@code keys} keys, stops, wipes the local state directory, restarts, and returns
     * the seconds from the restart until a probe event per partition has been forecast from restored state.
     */
    double restore(int keys) throws Exception {
        Scenario scenario = new Scenario("restore", "batched", keys, 1, StreamsConfig.AT_LEAST_ONCE,
                Map.of(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 100L << 20));
        String id = "restore-" + UUID.randomUUID().toString().substring(0, 8);
        String input = id + "-in";
        String output = id + "-out";
        broker.createTopics(PARTITIONS, input, output, id + "-dlq");
        long base = System.currentTimeMillis() - 86_400_000L;
        produce(input, keys, 1, base, 0);
        try (KafkaConsumer<String, byte[]> consumer = consumer(output)) {
            try (App app = start(scenario, id, input, output)) {
                drain(consumer, keys, id, null, null, null);
            }
            deleteRecursively(workDir.resolve("state-" + id));
            long started = System.nanoTime();
            try (App app = start(scenario, id, input, output)) {
                int probes = 64;
                produce(input, probes, 1, base, 1000);
                int seen = 0;
                while (seen < probes) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                        Forecast forecast = new ForecastSerde().deserializer().deserialize(output, record.value());
                        if (forecast.stepsSeen() != 2) {
                            throw new IllegalStateException("probe " + forecast.key() + " saw no restored state");
                        }
                        seen++;
                    }
                }
                return (System.nanoTime() - started) / 1e9;
            }
        } finally {
            discard(id);
        }
    }

    /**
     * The cost of one late event's correction by its replay length, without Kafka: one key of the LSTM-64 model
     * with n events held (allowed lateness of a day), a late event between its first and second, so the whole
     * history is replayed. A correction neither reads nor changes what it is given, so the same one is timed again.
     */
    static void corrections(Path bundle) {
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(ModelBundle.load(bundle), RunnerOptions.defaults())) {
            Forecaster model = new Forecaster(runner);
            LateEvents late = new LateEvents(model, Admission.forModel(model, Admission.GapRule.NONE),
                    new LateEvents.Bound(86_400_000L, 1024));
            Random random = new Random(11);
            int featureCount = model.card().features().size();
            for (int held : new int[] {1, 3, 7, 15, 31, 63, 127}) {
                KeyState state = null;
                KeyHistory history = null;
                for (int i = 0; i <= held; i++) {
                    Forecaster.Request request = new Forecaster.Request("k", i * 1000L,
                            randomFeatures(random, featureCount), state, null);
                    Forecaster.Outcome outcome = model.process(List.of(request)).get(0);
                    history = late.record(history, request, outcome);
                    state = outcome.state();
                }
                float[] features = randomFeatures(random, featureCount);
                int replayed = 0;
                for (int warm = 0; warm < 100; warm++) {
                    replayed = late.correct("k", 500L, features, state, null, history).replayed();
                }
                int repeats = Math.max(50, 5_000 / replayed);
                long started = System.nanoTime();
                for (int r = 0; r < repeats; r++) {
                    late.correct("k", 500L, features, state, null, history);
                }
                double micros = (System.nanoTime() - started) / 1e3 / repeats;
                System.out.printf(Locale.ROOT, "correction replaying %3d events: %8.1f us (%.1f us per replayed event)%n",
                        replayed, micros, micros / replayed);
            }
        }
    }

    private static float[] randomFeatures(Random random, int count) {
        float[] features = new float[count];
        for (int f = 0; f < count; f++) {
            features[f] = (float) random.nextGaussian();
        }
        return features;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** A started forecaster; {@code peer} is its process when it runs outside this JVM, else null. */
    private record App(AutoCloseable closer, ProcessHandle peer) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            closer.close();
        }
    }

    private App start(Scenario scenario, String id, String input, String output) throws IOException {
        if (scenario.design().equals("python")) {
            return startPythonPeer(id, input, output);
        }
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, scenario.guarantee());
        settings.put(StreamsConfig.STATE_DIR_CONFIG, workDir.resolve("state-" + id).toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, input);
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, output);
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, id + "-dlq");
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(CarrycastConfig.TIMESTAMP_FORMAT_CONFIG, "epoch_millis");
        // The core path: no HTTP endpoint, so no latest-forecast store (measured as its own lever).
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, -1);
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, bundleFor(scenario.design()).toString());
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, scenario.design().equals("naive") ? 1 : 256);
        if (scenario.design().equals("batched-challenger")) {
            settings.put(CarrycastConfig.CHALLENGER_MODEL_DIR_CONFIG, bundleFor("batched").toString());
            settings.put(CarrycastConfig.CHALLENGER_OUTPUT_TOPIC_CONFIG, id + "-challenger");
        }
        if (scenario.design().startsWith("batched-routes-")) {
            settings.putAll(routes(Integer.parseInt(scenario.design().substring("batched-routes-".length())),
                    bundleFor("batched")));
        }
        settings.putAll(commonSettings);
        settings.putAll(scenario.extra());
        CarrycastConfig config = CarrycastConfig.of(settings);
        if (scenario.design().endsWith("passthrough")) {
            return new App(Passthrough.start(config, scenario.design().startsWith("stateful")), null);
        }
        return new App(CarrycastApplication.start(config), null);
    }

    /**
     * {@code count} routes of one bundle: route r (1 to count - 1) takes the keys whose number is r modulo
     * {@code count}, by the number's last two digits (count divides 100); the default route the rest.
     */
    static Map<String, Object> routes(int count, Path bundle) {
        if (100 % count != 0) {
            throw new IllegalArgumentException(count + " routes do not divide the keys by their last two digits");
        }
        Map<String, Object> settings = new HashMap<>();
        List<String> names = new ArrayList<>();
        for (int r = 1; r < count; r++) {
            List<String> endings = new ArrayList<>();
            for (int ending = r; ending < 100; ending += count) {
                endings.add(String.format(Locale.ROOT, "%02d", ending));
            }
            String name = "r" + r;
            names.add(name);
            settings.put(CarrycastConfig.ROUTE_PREFIX + name + CarrycastConfig.ROUTE_MATCH_SUFFIX,
                    "key-regex:key-[0-9]*" + endingsExpression(endings));
            settings.put(CarrycastConfig.ROUTE_PREFIX + name + CarrycastConfig.ROUTE_MODEL_DIR_SUFFIX, bundle.toString());
        }
        settings.put(CarrycastConfig.ROUTES_CONFIG, String.join(",", names));
        return settings;
    }

    /**
     * Two-digit endings as a regular expression: a tens class and a units class when the endings are every pair of
     * them (as for 2, 5, 10 and 20 routes), the expression a user would write for such a split, tried in about
     * 0.1 µs; else an alternation, which backtracks through every ending at every digit (0.7 µs for 50 endings).
     */
    private static String endingsExpression(List<String> endings) {
        TreeSet<Character> tens = new TreeSet<>();
        TreeSet<Character> units = new TreeSet<>();
        endings.forEach(ending -> {
            tens.add(ending.charAt(0));
            units.add(ending.charAt(1));
        });
        if (tens.size() * units.size() != endings.size()) {
            return "(" + String.join("|", endings) + ")";
        }
        return "[" + tens.stream().map(String::valueOf).collect(Collectors.joining()) + "]["
                + units.stream().map(String::valueOf).collect(Collectors.joining()) + "]";
    }

    /**
     * {@code tools/python_peer.py} as a child process: a confluent-kafka loop stepping PyTorch once per
     * message with each key's state in a dict. SIGTERM stops it after a flush.
     */
    private App startPythonPeer(String id, String input, String output) throws IOException {
        Path log = workDir.resolve(id + "-python.log");
        Process process = new ProcessBuilder(PYTHON, PYTHON_PEER.toString(), "--bootstrap", broker.bootstrapServers(),
                "--input", input, "--output", output, "--model", lstm64.toString(), "--group", id)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new App(() -> {
            process.destroy();
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            if (process.exitValue() != 0 && process.exitValue() != 143) {
                System.out.println("python peer exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
        }, process.toHandle());
    }

    private static final String PYTHON = "/usr/bin/python3";
    private static final Path PYTHON_PEER = Path.of("tools", "python_peer.py");

    /** Why the Python peer cannot run here, or null when it can. */
    static String pythonPeerMissing() {
        if (!Files.isRegularFile(PYTHON_PEER)) {
            return PYTHON_PEER + " not found (run from the repository root)";
        }
        try {
            Process check = new ProcessBuilder(PYTHON, "-c", "import torch, onnx, confluent_kafka")
                    .redirectErrorStream(true).start();
            String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return check.waitFor() == 0 ? null : PYTHON + " lacks torch, onnx or confluent_kafka (Debian: apt-get install "
                    + "python3-torch python3-onnx python3-confluent-kafka): " + out.lines().reduce((a, b) -> b).orElse("");
        } catch (IOException e) {
            return PYTHON + " not runnable: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private Path bundleFor(String design) throws IOException {
        Path dir = workDir.resolve("bundle-" + design);
        if (Files.exists(dir)) {
            return dir;
        }
        Files.createDirectories(dir);
        Files.copy(lstm64.resolve("model.onnx"), dir.resolve("model.onnx"));
        ObjectNode card = (ObjectNode) JSON.readTree(lstm64.resolve("model.json").toFile());
        switch (design) {
            case "window" -> {
                card.put("mode", "window");
                card.put("window", WINDOW);
            }
            case "batched-window-kept" -> card.put("window", 60);
            case "batched-rollout24" -> card.put("window", 0).set("rollout", RolloutBenchmark.rolloutBlock(24));
            case "resampled" -> {
                card.put("window", 0).put("cadence", "PT" + EVENTS_PER_BUCKET + "S");
                ObjectNode resample = card.putObject("resample").put("default", "mean");
                resample.putObject("fields").put("f0", "last").put("f1", "sum").put("f2", "max");
            }
            default -> card.put("window", 0);
        }
        Files.writeString(dir.resolve("model.json"), JSON.writeValueAsString(card));
        return dir;
    }

    private void produce(String topic, int keys, int eventsPerKey, long base, long offsetMs) {
        produce(broker.bootstrapServers(), topic, keys, eventsPerKey, base + offsetMs, EndToEndBenchmark::event);
    }

    /** Every key's events in time order, keys interleaved, 1 s apart from {@code first}, written by {@code event}. */
    static void produce(String bootstrapServers, String topic, int keys, int eventsPerKey, long first,
                        java.util.function.BiFunction<Long, Random, byte[]> event) {
        Random random = new Random(7);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.LINGER_MS_CONFIG, 10,
                ProducerConfig.BATCH_SIZE_CONFIG, 262_144, ProducerConfig.ACKS_CONFIG, "1"),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < eventsPerKey; i++) {
                for (int k = 0; k < keys; k++) {
                    long time = first + i * 1000L;
                    producer.send(new ProducerRecord<>(topic, null, time, key(k), event.apply(time, random)));
                }
            }
            producer.flush();
        }
    }

    /** Events/s and CPU per event between 30 % and 90 % of the expected output. */
    /**
     * With {@code profile=DIR}, the measured stretch of each run is recorded with Java Flight Recorder
     * (settings "profile") to DIR/&lt;run id&gt;.jfr: a profile of the steady state only.
     */
    private static Path profileDir;

    /** Keys whose forecasts are kept, to compare the scenarios' values for the same events. */
    private static final int SAMPLED_KEYS = 5;

    /** Per scenario name: f0 of the sampled keys' forecasts by "key#steps_seen", from the last measured run. */
    private static final Map<String, Map<String, Double>> SAMPLES = new java.util.concurrent.ConcurrentHashMap<>();

    private static Map<String, Double> samples(Scenario scenario) {
        Map<String, Double> samples = new HashMap<>();
        SAMPLES.put(scenario.name(), samples);
        return samples;
    }

    /** Polls once; returns the records read, keeping the sampled keys' forecasts when asked to. */
    private static int poll(KafkaConsumer<String, byte[]> consumer, Map<String, Double> samples) {
        var records = consumer.poll(Duration.ofMillis(50));
        if (samples != null) {
            for (ConsumerRecord<String, byte[]> record : records) {
                if (record.key().compareTo(key(SAMPLED_KEYS)) < 0) {
                    Forecast forecast = ForecastJson.read(record.value());
                    samples.put(record.key() + "#" + forecast.stepsSeen(),
                            forecast.points().get(0).values().values().iterator().next());
                }
            }
        }
        return records.count();
    }

    /** The largest difference between two scenarios' forecasts of the same key and step, and how many were compared. */
    private static void compareSamples(String scenario, String reference) {
        Map<String, Double> a = SAMPLES.get(scenario);
        Map<String, Double> b = SAMPLES.get(reference);
        if (a == null || b == null) {
            return;
        }
        double worst = 0;
        int compared = 0;
        for (Map.Entry<String, Double> entry : a.entrySet()) {
            Double other = b.get(entry.getKey());
            if (other != null) {
                worst = Math.max(worst, Math.abs(entry.getValue() - other));
                compared++;
            }
        }
        System.out.printf(Locale.ROOT, "forecasts of %s vs %s: %d compared (keys %s..%s), largest difference %.2e%n",
                scenario, reference, compared, key(0), key(SAMPLED_KEYS - 1), worst);
    }

    private static Throughput drain(KafkaConsumer<String, byte[]> consumer, int expected, String applicationId,
                                    String profileName, ProcessHandle peer, Map<String, Double> samples)
            throws IOException, java.text.ParseException {
        Recording recording = null;
        long count = 0;
        long t30 = 0;
        long c30 = 0;
        CpuSnapshot cpu30 = null;
        long deadline = System.nanoTime() + Duration.ofMinutes(15).toNanos();
        while (count < expected * 0.9 && System.nanoTime() < deadline) {
            count += poll(consumer, samples);
            if (t30 == 0 && count >= expected * 0.3) {
                t30 = System.nanoTime();
                c30 = count;
                cpu30 = CpuSnapshot.take(applicationId, peer);
                if (profileDir != null && profileName != null) {
                    recording = new Recording(Configuration.getConfiguration("profile"));
                    recording.start();
                }
            }
        }
        long t90 = System.nanoTime();
        long c90 = count;
        CpuSnapshot cpu90 = CpuSnapshot.take(applicationId, peer);
        if (recording != null) {
            recording.stop();
            recording.dump(profileDir.resolve(profileName + ".jfr"));
            recording.close();
        }
        while (count < expected && System.nanoTime() < deadline) {
            count += poll(consumer, samples);
        }
        if (count < expected) {
            throw new IllegalStateException("only " + count + " of " + expected + " forecasts arrived");
        }
        return new Throughput((c90 - c30) / ((t90 - t30) / 1e9), cpu90.perEventSince(cpu30, c90 - c30));
    }

    /** Input rates (events/s) of the latency stretches after each throughput run ({@code rates=2000,20000}). */
    private static List<Integer> latencyRates;
    private static int latencySeconds;
    /**
     * Seconds at each latency stretch's rate before its latencies are recorded ({@code latency-settle-seconds=N}):
     * the steady state at that rate rather than the way out of the full-load run before it.
     */
    private static int latencySettleSeconds;
    /** Settings added to every scenario ({@code set=NAME=VALUE}). */
    private static final Map<String, Object> commonSettings = new HashMap<>();

    /**
     * Produces {@code rate} events/s for {@code seconds} with the wall clock as event time, from a producer with
     * Kafka's default linger (5 ms), as a latency-minded user would run it; p50, p99 of produce-to-consume in ms.
     * A rate above what the forecaster sustains measures its growing backlog, not its latency.
     */
    private Latency latency(KafkaConsumer<String, byte[]> consumer, String topic, int keys, int rate, int seconds)
            throws InterruptedException {
        int total = rate * (latencySettleSeconds + seconds);
        long measuredFromMs = System.currentTimeMillis() + latencySettleSeconds * 1000L;
        List<Double> latencies = new ArrayList<>(rate * seconds);
        AtomicLong sent = new AtomicLong();
        Thread producerThread = new Thread(() -> {
            Random random = new Random(11);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "1"),
                    new StringSerializer(), new ByteArraySerializer())) {
                long start = System.nanoTime();
                for (int i = 0; i < total; i++) {
                    long due = start + (long) i * 1_000_000_000L / rate;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        // Parked, not spinning: a spinning producer would take a core from the forecaster.
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    long time = System.currentTimeMillis();
                    producer.send(new ProducerRecord<>(topic, null, time, key(i % keys), event(time, random)));
                    sent.incrementAndGet();
                }
            }
        });
        producerThread.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(latencySettleSeconds + seconds + 60).toNanos();
        ForecastSerde serde = new ForecastSerde();
        int received = 0;
        while (received < total && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                Forecast forecast = serde.deserializer().deserialize(record.topic(), record.value());
                received++;
                if (forecast.eventTimeMs() >= measuredFromMs) {
                    latencies.add((double) (System.currentTimeMillis() - forecast.eventTimeMs()));
                }
            }
        }
        producerThread.join();
        latencies.sort(Double::compare);
        if (latencies.isEmpty()) {
            return new Latency(rate, Double.NaN, Double.NaN);
        }
        return new Latency(rate, latencies.get(latencies.size() / 2), latencies.get((int) (latencies.size() * 0.99)));
    }

    static String key(int k) {
        return String.format("key-%07d", k);
    }

    static byte[] event(long time, Random random) {
        return event(new StringBuilder(160).append("{\"time\":").append(time), random);
    }

    /** The same event with its time as ISO-8601 text in field {@code ts}, as many producers write it. */
    static byte[] isoEvent(long time, Random random) {
        return event(new StringBuilder(160).append("{\"ts\":\"").append(java.time.Instant.ofEpochMilli(time)).append('"'),
                random);
    }

    /** Appends eight numeric fields f0..f7 to {@code json}, an object opened with its time field, and closes it. */
    private static byte[] event(StringBuilder json, Random random) {
        for (int f = 0; f < 8; f++) {
            // Four decimals without String.format, which made preloading a million events take long.
            long tenThousandths = Math.round(random.nextGaussian() * 10_000);
            json.append(",\"f").append(f).append("\":").append(tenThousandths < 0 ? "-" : "")
                    .append(Math.abs(tenThousandths) / 10_000).append('.');
            String fraction = Long.toString(Math.abs(tenThousandths) % 10_000);
            json.append("0000", 0, 4 - fraction.length()).append(fraction);
        }
        return json.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private KafkaConsumer<String, byte[]> consumer(String topic) {
        return readCommittedConsumer(broker, topic);
    }

    /** A consumer of forecasts as a downstream exactly-once reader sees them, from the start of the topic. */
    static KafkaConsumer<String, byte[]> readCommittedConsumer(EmbeddedKafkaBroker broker, String topic) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "bench-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /** The median rate of {@code scenario} as a share of {@code reference}'s, both measured in this run. */
    private static void compareRates(Map<String, List<Result>> results, String scenario, String reference) {
        List<Result> a = results.get(scenario);
        List<Result> b = results.get(reference);
        if (a == null || b == null) {
            return;
        }
        double rate = median(a.stream().mapToDouble(Result::eventsPerSecond).toArray());
        double referenceRate = median(b.stream().mapToDouble(Result::eventsPerSecond).toArray());
        System.out.printf(Locale.ROOT, "%s: %.0f input events/s, %.0f %% of %s (%.0f events/s)%n", scenario, rate,
                100 * rate / referenceRate, reference, referenceRate);
    }

    private static void printMedians(Map<String, List<Result>> results) {
        System.out.println();
        System.out.println("| scenario | events/s (median) | runs | latency p50 / p99 ms (medians) at input rates | CPU us/event: stream thread, its producer, rest of JVM (medians) | stream thread per run |");
        System.out.println("|---|---|---|---|---|---|");
        for (Map.Entry<String, List<Result>> entry : results.entrySet()) {
            List<Result> runs = entry.getValue();
            StringBuilder latency = new StringBuilder();
            for (int i = 0; i < runs.get(0).latencies().size(); i++) {
                int at = i;
                latency.append(String.format(Locale.ROOT, "%s%d/s: %.1f / %.1f", i == 0 ? "" : "; ",
                        runs.get(0).latencies().get(at).rate(),
                        median(runs.stream().mapToDouble(r -> r.latencies().get(at).p50Millis()).toArray()),
                        median(runs.stream().mapToDouble(r -> r.latencies().get(at).p99Millis()).toArray())));
            }
            System.out.printf(Locale.ROOT, "| %s | %.0f | %s | %s | %.1f / %.1f / %.1f | %s |%n", entry.getKey(),
                    median(runs.stream().mapToDouble(Result::eventsPerSecond).toArray()),
                    runs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.eventsPerSecond())).toList(),
                    latency.length() == 0 ? "-" : latency,
                    median(runs.stream().mapToDouble(r -> r.cpu().streamThread()).toArray()),
                    median(runs.stream().mapToDouble(r -> r.cpu().producerThread()).toArray()),
                    median(runs.stream().mapToDouble(r -> r.cpu().rest()).toArray()),
                    runs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.cpu().streamThread())).toList());
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
