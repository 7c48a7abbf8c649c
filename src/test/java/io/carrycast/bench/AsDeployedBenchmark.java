package io.carrycast.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Throughput as a user deploys carrycast: {@code carrycast broker --partitions 4} in a process of its own, and
 * each forecaster in another, {@code carrycast run --config FILE} with the record cache at 100 MB, the bench
 * LSTM-64 bundle, HTTP off and every other setting at its default. The events (JSON, eight numeric fields and an
 * ISO-8601 {@code ts} field named by {@code carrycast.timestamp.field}) are produced once, before any
 * forecaster starts; each run reads them all under an application id of its own. Events/s come from the output
 * topic's committed end offsets between 30 % and 90 % of the expected forecasts (or 60 s past 30 %, whichever
 * comes first), and the CPU per event of the
 * forecaster's and the broker's processes from {@code /proc/PID/stat} over the same stretch; beside them, the
 * seconds from the forecaster's start to the end of that stretch, which count its start-up too.
 *
 * <p>Beside carrycast, in the same layout: carrycast with the bench bundle declared as two and as twenty routes
 * (the keys split evenly among them by key-regex rules, as in {@link EndToEndBenchmark}), the stateful
 * passthrough ({@link Passthrough}, carrycast's ceiling with the same store work) and the Python peer
 * ({@code tools/python_peer.py}) when Debian's python3 has torch, onnx and confluent_kafka. Run with
 * {@code tools/bench.sh deployed [keys=N] [events-per-key=N] [repeats=N] [port=N] [only=REGEX] [profile=DIR]
 * [java-opts=OPTIONS]}; profile=DIR records each Java forecaster with JFR into DIR (which must exist), for
 * profiles only: the recording costs CPU itself; java-opts= gives the Java forecasters JVM options (as
 * CARRYCAST_JAVA_OPTS would), to compare against the launcher's defaults.
 */
public final class AsDeployedBenchmark {

    private static final String INPUT = "events";
    private static final Path BUNDLE = Path.of("src", "test", "resources", "bench", "lstm64").toAbsolutePath();
    /** The measured stretch ends at 90 % of the forecasts or this long after it began: the Python peer's lasts minutes. */
    private static final long MAX_STRETCH_NANOS = Duration.ofSeconds(60).toNanos();
    /** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
    private static final double TICKS_PER_SECOND = 100.0;

    /**
     * A forecaster: how it is started, under one guarantee.
     *
     * @param routes routes of the bench bundle the keys are split among ({@link EndToEndBenchmark#routes}), or 0
     *               for one model without routes
     */
    private record Scenario(String name, String kind, String guarantee, int routes) {
        Scenario(String name, String kind, String guarantee) {
            this(name, kind, guarantee, 0);
        }
    }

    /**
     * @param forecasterThreads the forecaster's CPU per event by thread group ({@link ThreadCpu}), largest first
     */
    private record Run(double eventsPerSecond, double forecasterMicros, double brokerMicros,
                       Map<String, Double> forecasterThreads, double secondsToEnd) {
    }

    private final String bootstrap;
    private final Path workDir;
    private final int expected;
    private final long brokerPid;

    /** Where each forecaster's JFR recording goes, or null for none. */
    private final Path profileDir;
    /** JVM options for the Java forecasters, or empty for the launcher's defaults. */
    private final String javaOptions;

    private AsDeployedBenchmark(String bootstrap, Path workDir, int expected, long brokerPid, Path profileDir,
                                String javaOptions) {
        this.profileDir = profileDir;
        this.javaOptions = javaOptions;
        this.bootstrap = bootstrap;
        this.workDir = workDir;
        this.expected = expected;
        this.brokerPid = brokerPid;
    }

    public static void main(String[] args) throws Exception {
        int keys = option(args, "keys", 100_000);
        int eventsPerKey = option(args, "events-per-key", 12);
        int repeats = option(args, "repeats", 3);
        int port = option(args, "port", 29292);
        Path profileDir = Arrays.stream(args).filter(a -> a.startsWith("profile=")).map(a -> Path.of(a.substring(8)))
                .findFirst().orElse(null);
        String javaOptions = Arrays.stream(args).filter(a -> a.startsWith("java-opts=")).map(a -> a.substring(10))
                .findFirst().orElse("");
        Pattern only = Pattern.compile(Arrays.stream(args).filter(a -> a.startsWith("only=")).map(a -> a.substring(5))
                .findFirst().orElse(""));
        List<Scenario> scenarios = new ArrayList<>();
        for (String guarantee : List.of(StreamsConfig.AT_LEAST_ONCE, StreamsConfig.EXACTLY_ONCE_V2)) {
            String g = guarantee.equals(StreamsConfig.AT_LEAST_ONCE) ? "alos" : "eos";
            scenarios.add(new Scenario("carrycast run " + g, "carrycast", guarantee));
            scenarios.add(new Scenario("stateful passthrough " + g, "passthrough", guarantee));
        }
        for (int routes : new int[] {2, 20}) {
            scenarios.add(new Scenario("carrycast run alos routed x" + routes, "carrycast", StreamsConfig.AT_LEAST_ONCE,
                    routes));
        }
        scenarios.add(new Scenario("python peer alos", "python", StreamsConfig.AT_LEAST_ONCE));
        scenarios = scenarios.stream().filter(s -> only.matcher(s.name()).find()).toList();
        String pythonMissing = scenarios.stream().anyMatch(s -> s.kind().equals("python"))
                ? EndToEndBenchmark.pythonPeerMissing() : null;
        if (pythonMissing != null) {
            System.out.println("skipped: python peer alos: " + pythonMissing);
            scenarios = scenarios.stream().filter(s -> !s.kind().equals("python")).toList();
        }

        Path workDir = Files.createTempDirectory("carrycast-deployed-");
        Process broker = new ProcessBuilder("./carrycast", "broker", "--port", Integer.toString(port), "--partitions", "4",
                "--topics", INPUT).redirectErrorStream(true).redirectOutput(workDir.resolve("broker.log").toFile()).start();
        try {
            String bootstrap = "127.0.0.1:" + port;
            awaitTopic(bootstrap, INPUT, broker, workDir.resolve("broker.log"));
            AsDeployedBenchmark bench = new AsDeployedBenchmark(bootstrap, workDir, keys * eventsPerKey, broker.pid(),
                    profileDir, javaOptions);
            long started = System.nanoTime();
            bench.produce(keys, eventsPerKey);
            System.out.printf(Locale.ROOT, "produced %d events (%d keys x %d) in %.1f s%n", keys * eventsPerKey, keys,
                    eventsPerKey, (System.nanoTime() - started) / 1e9);
            Map<String, List<Run>> results = new LinkedHashMap<>();
            for (int r = 1; r <= repeats; r++) {
                for (Scenario scenario : scenarios) {
                    Run run = bench.run(scenario, r);
                    if (run != null) {
                        System.out.printf(Locale.ROOT, "run %d %-26s %9.0f events/s  cpu us/event: forecaster %.1f"
                                + " broker %.1f  start to end of stretch %.1f s%n", r, scenario.name(),
                                run.eventsPerSecond(), run.forecasterMicros(), run.brokerMicros(), run.secondsToEnd());
                        System.out.println("      forecaster threads, cpu us/event: " + ThreadCpu.format(run.forecasterThreads()));
                        results.computeIfAbsent(scenario.name(), k -> new ArrayList<>()).add(run);
                    }
                }
            }
            print(results);
        } finally {
            broker.destroy();
            if (!broker.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                broker.destroyForcibly();
            }
            EndToEndBenchmark.deleteRecursively(workDir);
        }
    }

    private static int option(String[] args, String name, int otherwise) {
        return Arrays.stream(args).filter(a -> a.startsWith(name + "=")).map(a -> Integer.parseInt(a.substring(name.length() + 1)))
                .findFirst().orElse(otherwise);
    }

    private static void awaitTopic(String bootstrap, String topic, Process broker, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        try (Admin admin = admin(bootstrap)) {
            while (System.nanoTime() < deadline) {
                if (!broker.isAlive()) {
                    throw new IllegalStateException("the broker exited with " + broker.exitValue() + ":\n" + Files.readString(log));
                }
                try {
                    if (admin.listTopics().names().get(5, java.util.concurrent.TimeUnit.SECONDS).contains(topic)) {
                        return;
                    }
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException notYet) {
                    // The broker is still starting.
                }
                Thread.sleep(500);
            }
        }
        throw new IllegalStateException("the broker did not create topic " + topic + " within 3 minutes");
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    /** Every key's events, 30 days ago, with their time as ISO-8601 text. */
    private void produce(int keys, int eventsPerKey) {
        EndToEndBenchmark.produce(bootstrap, INPUT, keys, eventsPerKey,
                (System.currentTimeMillis() - 86_400_000L * 30) / 1000 * 1000, EndToEndBenchmark::isoEvent);
    }

    /** One run of {@code scenario}; null when it failed (said why). */
    private Run run(Scenario scenario, int repeat) throws Exception {
        String id = scenario.name().replaceAll("[^A-Za-z0-9]+", "-") + "-" + repeat;
        String output = id + "-out";
        try (Admin admin = admin(bootstrap)) {
            admin.createTopics(List.of(new NewTopic(output, 4, (short) 1), new NewTopic(id + "-dlq", 4, (short) 1)))
                    .all().get();
        }
        Path config = workDir.resolve(id + ".properties");
        List<String> routes = scenario.routes() == 0 ? List.of() : EndToEndBenchmark.routes(scenario.routes(), BUNDLE)
                .entrySet().stream().map(setting -> setting.getKey() + "=" + setting.getValue()).sorted().toList();
        Files.writeString(config, String.join("\n", routes) + "\n" + String.join("\n",
                "bootstrap.servers=" + bootstrap,
                "application.id=" + id,
                "processing.guarantee=" + scenario.guarantee(),
                "state.dir=" + workDir.resolve("state-" + id),
                "statestore.cache.max.bytes=104857600",
                "carrycast.model.dir=" + BUNDLE,
                "carrycast.input.topic=" + INPUT,
                "carrycast.output.topic=" + output,
                "carrycast.dead.letter.topic=" + id + "-dlq",
                "carrycast.timestamp.field=ts",
                "carrycast.timestamp.format=iso",
                "carrycast.http.port=-1", ""));
        List<String> command = switch (scenario.kind()) {
            case "carrycast" -> List.of("./carrycast", "run", "--config", config.toString());
            // The launcher's JVM as ./carrycast starts it without CARRYCAST_JAVA_OPTS (its collector is added below).
            case "passthrough" -> List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                    System.getProperty("java.class.path"), Passthrough.class.getName(), config.toString());
            default -> List.of("/usr/bin/python3", "tools/python_peer.py", "--bootstrap", bootstrap, "--input", INPUT,
                    "--output", output, "--model", BUNDLE.toString(), "--group", id, "--time-field", "ts");
        };
        Path log = workDir.resolve(id + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().remove("CARRYCAST_JAVA_OPTS");
        List<String> options = new ArrayList<>(javaOptions.isBlank() ? List.of() : List.of(javaOptions.trim().split("\\s+")));
        if (profileDir != null) {
            // Profiling changes the launcher's JVM by the recording alone; a profiled run's figures are not a result.
            options.add("-XX:StartFlightRecording=settings=profile,filename="
                    + profileDir.toAbsolutePath().resolve(id + ".jfr"));
        }
        if (!options.isEmpty() && scenario.kind().equals("carrycast")) {
            builder.environment().put("CARRYCAST_JAVA_OPTS", String.join(" ", options));
        } else if (scenario.kind().equals("passthrough")) {
            // The launcher's collector, as ./carrycast picks it, unless the options name one.
            if (options.stream().noneMatch(option -> option.matches("-XX:\\+Use[A-Za-z0-9]*GC"))) {
                options.add(0, "-XX:+UseParallelGC");
            }
            List<String> withOptions = new ArrayList<>(command);
            withOptions.addAll(1, options);
            builder.command(withOptions);
        }
        Process forecaster = builder.start();
        try {
            return measure(forecaster, output, log);
        } finally {
            forecaster.destroy();
            if (!forecaster.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                forecaster.destroyForcibly().waitFor();
            }
            try (Admin admin = admin(bootstrap)) {
                admin.deleteTopics(admin.listTopics().names().get().stream().filter(t -> t.startsWith(id)).toList())
                        .all().get();
            }
            EndToEndBenchmark.deleteRecursively(workDir.resolve("state-" + id));
        }
    }

    /** Events/s and CPU per event of the forecaster and the broker over the measured stretch. */
    private Run measure(Process forecaster, String output, Path log) throws Exception {
        long started = System.nanoTime();
        List<TopicPartition> partitions = IntStream.range(0, 4).mapToObj(p -> new TopicPartition(output, p)).toList();
        try (KafkaConsumer<byte[], byte[]> offsets = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            long t30 = 0;
            long c30 = 0;
            long[] cpu30 = null;
            ThreadCpu threads30 = null;
            while (System.nanoTime() < deadline) {
                if (!forecaster.isAlive()) {
                    System.out.println("forecaster exited with " + forecaster.exitValue() + ":\n" + tail(log));
                    return null;
                }
                // Under read_committed, the last stable offsets: forecasts a downstream reader can see.
                long count = offsets.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
                long now = System.nanoTime();
                if (t30 == 0 && count >= expected * 0.3) {
                    t30 = now;
                    c30 = count;
                    cpu30 = new long[] {cpuTicks(forecaster.pid()), cpuTicks(brokerPid)};
                    threads30 = ThreadCpu.of(forecaster.pid());
                } else if (t30 != 0 && (count >= expected * 0.9 || now - t30 >= MAX_STRETCH_NANOS)) {
                    double events = count - c30;
                    double forecasterMicros = (cpuTicks(forecaster.pid()) - cpu30[0]) / TICKS_PER_SECOND * 1e6 / events;
                    double brokerMicros = (cpuTicks(brokerPid) - cpu30[1]) / TICKS_PER_SECOND * 1e6 / events;
                    Map<String, Double> threads = ThreadCpu.of(forecaster.pid()).microsPerEventSince(threads30, events);
                    return new Run(events / ((now - t30) / 1e9), forecasterMicros, brokerMicros, threads,
                            (now - started) / 1e9);
                }
                Thread.sleep(50);
            }
            System.out.println("the forecasts did not reach 90 % within 10 minutes:\n" + tail(log));
            return null;
        }
    }

    /** User and system CPU time a process has used, in clock ticks, from /proc/PID/stat. */
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static String tail(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static void print(Map<String, List<Run>> results) {
        System.out.println();
        System.out.println("| scenario | events/s (median) | runs | CPU us/event: forecaster process (median, runs) "
                + "| broker process (median, runs) | s from start to the stretch's end (median, runs) |");
        System.out.println("|---|---|---|---|---|---|");
        for (Map.Entry<String, List<Run>> entry : results.entrySet()) {
            List<Run> runs = entry.getValue();
            System.out.printf(Locale.ROOT, "| %s | %.0f | %s | %.1f %s | %.1f %s | %.1f %s |%n", entry.getKey(),
                    median(runs.stream().mapToDouble(Run::eventsPerSecond).toArray()),
                    runs.stream().map(r -> String.format(Locale.ROOT, "%.0f", r.eventsPerSecond())).toList(),
                    median(runs.stream().mapToDouble(Run::forecasterMicros).toArray()),
                    runs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.forecasterMicros())).toList(),
                    median(runs.stream().mapToDouble(Run::brokerMicros).toArray()),
                    runs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.brokerMicros())).toList(),
                    median(runs.stream().mapToDouble(Run::secondsToEnd).toArray()),
                    runs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.secondsToEnd())).toList());
        }
        ratio(results, "carrycast run alos", "python peer alos");
        ratio(results, "carrycast run eos", "carrycast run alos");
        ratio(results, "carrycast run alos", "stateful passthrough alos");
        ratio(results, "carrycast run eos", "stateful passthrough eos");
        ratio(results, "carrycast run alos routed x2", "carrycast run alos");
        ratio(results, "carrycast run alos routed x20", "carrycast run alos");
    }

    private static void ratio(Map<String, List<Run>> results, String scenario, String reference) {
        if (results.containsKey(scenario) && results.containsKey(reference)) {
            double a = median(results.get(scenario).stream().mapToDouble(Run::eventsPerSecond).toArray());
            double b = median(results.get(reference).stream().mapToDouble(Run::eventsPerSecond).toArray());
            System.out.printf(Locale.ROOT, "%s / %s: %.2f%n", scenario, reference, a / b);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
