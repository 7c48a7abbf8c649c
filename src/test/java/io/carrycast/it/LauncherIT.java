package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.InstanceHttp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code carrycast} launcher script, called from another directory as a user calls it: relative paths
 * resolve where the user stands, output lands there, and {@code CARRYCAST_JAVA_OPTS} reaches the JVM, not
 * the settings.
 */
class LauncherIT {

    /** Failsafe runs in the checkout. */
    private static final Path CHECKOUT = Path.of("").toAbsolutePath();
    private static final Path LAUNCHER = CHECKOUT.resolve("carrycast");
    private static final Path JAR = CHECKOUT.resolve("target/carrycast.jar");
    private static final int WEATHER_ROWS = 60;

    @TempDir
    Path dir;

    /**
     * The launcher builds the jar when it is missing or older than the sources; inside a Maven build that
     * would be a build within the build. The integration tests run after {@code package}, so it is current.
     */
    @BeforeAll
    static void requireACurrentJar() throws IOException {
        assumeTrue(Files.exists(JAR), "no " + JAR + "; run mvn package first");
        FileTime built = Files.getLastModifiedTime(JAR);
        try (Stream<Path> sources = Stream.concat(Stream.of(CHECKOUT.resolve("pom.xml")),
                Files.walk(CHECKOUT.resolve("src/main")))) {
            assumeTrue(sources.allMatch(source -> modified(source).compareTo(built) <= 0),
                    JAR + " is older than the sources; run mvn package first");
        }
    }

    @Test
    void shouldResolveRelativePathsAndWriteOutputInTheCallersDirectory() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        for (String file : List.of("model.onnx", "model.json")) {
            Files.copy(CHECKOUT.resolve("config/models/weather-lstm").resolve(file), model.resolve(file));
        }
        try (InputStream weather = LauncherIT.class.getResourceAsStream("/demo/weather.csv")) {
            List<String> rows = new String(weather.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .limit(1 + WEATHER_ROWS).toList();
            Files.write(dir.resolve("events.csv"), rows);
        }
        Optional<FileTime> checkoutOutputBefore = modifiedIfExists(CHECKOUT.resolve("forecasts.jsonl"));

        Launched backtest = launch(Map.of(), "backtest", "--model", "model", "--input", "events.csv",
                "--key-field", "location", "--timestamp-field", "date");

        assertEquals(0, backtest.exitCode(), backtest.output());
        assertEquals(WEATHER_ROWS, Files.readAllLines(dir.resolve("forecasts.jsonl")).size(), backtest.output());
        assertEquals(checkoutOutputBefore, modifiedIfExists(CHECKOUT.resolve("forecasts.jsonl")),
                "nothing written into the checkout");
    }

    @Test
    void shouldNameTheDefaultConfigurationFileAndTheCallersDirectoryWhenRunElsewhere() throws Exception {
        Launched run = launch(Map.of(), "run");

        assertEquals(2, run.exitCode(), run.output());
        assertEquals(List.of("carrycast: no configuration file: --config not given, and the default "
                + "config/carrycast.properties is not in the current directory (" + dir.toRealPath()
                + "); give --config FILE"), run.lines());
    }

    @Test
    void shouldFindTheBundledDemoModelFromAnyDirectory() throws Exception {
        Launched help = launch(Map.of(), "demo", "--help");

        assertEquals(0, help.exitCode(), help.output());
        String unwrapped = help.output().replaceAll("\\s+", " ");
        assertTrue(unwrapped.contains("(default: the bundled " + CHECKOUT.toRealPath()
                + "/config/models/weather-lstm)"), help.output());
    }

    @Test
    void shouldHandTheJavaOptionsVariableToTheJvmAndNotToTheSettings() throws Exception {
        Path config = AppProcess.writeSettings(dir, "unreachable", Map.of(
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + InstanceHttp.freePort(),
                StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString(),
                CarrycastConfig.MODEL_DIR_CONFIG, Fixture.load("lstm").directory().toString(),
                CarrycastConfig.HTTP_PORT_CONFIG, 0,
                CarrycastConfig.CLUSTER_WAIT_MS_CONFIG, 1000));

        Launched run = launch(Map.of("CARRYCAST_JAVA_OPTS", "-Xmx256m -XX:+PrintCommandLineFlags"), "run",
                "--config", dir.relativize(config).toString());

        assertEquals(2, run.exitCode(), run.output());
        assertTrue(run.lines().get(0).contains("-XX:MaxHeapSize=268435456"), "the JVM got -Xmx256m: " + run.output());
        List<String> lines = run.lines();
        assertTrue(lines.get(lines.size() - 1).startsWith("carrycast: cannot reach the Kafka cluster at 127.0.0.1:"),
                run.output());
        assertFalse(run.output().contains("java.opts"), run.output());
    }

    @Test
    void shouldRunTheParallelCollectorUnlessTheJavaOptionsNameOne() throws Exception {
        Launched byDefault = launch(Map.of("CARRYCAST_JAVA_OPTS", "-XX:+PrintCommandLineFlags"), "--version");
        Launched chosen = launch(Map.of("CARRYCAST_JAVA_OPTS", "-XX:+UseG1GC -XX:+PrintCommandLineFlags"), "--version");

        assertEquals(0, byDefault.exitCode(), byDefault.output());
        assertTrue(byDefault.lines().get(0).contains("-XX:+UseParallelGC"), byDefault.output());
        // Two collectors would stop the JVM before it starts ("Multiple garbage collectors selected").
        assertEquals(0, chosen.exitCode(), chosen.output());
        assertTrue(chosen.lines().get(0).contains("-XX:+UseG1GC"), chosen.output());
        assertFalse(chosen.lines().get(0).contains("UseParallelGC"), chosen.output());
    }

    private record Launched(int exitCode, String output) {
        List<String> lines() {
            return output.lines().filter(line -> !line.isBlank()).toList();
        }
    }

    /** Runs the launcher in {@code dir} with no {@code CARRYCAST_*} variables but {@code environment}. */
    private Launched launch(Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        Path log = dir.resolve("launcher-" + System.nanoTime() + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(variable -> variable.startsWith("CARRYCAST_"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        if (!process.waitFor(300, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("launcher still running after 300 s: " + Files.readString(log));
        }
        return new Launched(process.exitValue(), Files.readString(log));
    }

    private static FileTime modified(Path path) {
        try {
            return Files.getLastModifiedTime(path);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Optional<FileTime> modifiedIfExists(Path path) {
        return Files.exists(path) ? Optional.of(modified(path)) : Optional.empty();
    }
}
