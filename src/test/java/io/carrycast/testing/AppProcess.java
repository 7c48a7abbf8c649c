package io.carrycast.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A carrycast command in a separate JVM, so a test can {@code kill -9} it like an operator's crash, send it
 * SIGTERM, and read its exit code and output. Output (stdout and stderr) goes to a log file in the given
 * directory, for assertions and failure diagnosis.
 */
public final class AppProcess implements AutoCloseable {

    /** A class path resource: the shipped src/main/resources/logback.xml, in the main classes or the jar. */
    private static final String SHIPPED_LOGGING = "logback.xml";

    private final Process process;
    private final Path log;

    /** The class path with each entry absolute: the child runs in its own directory. */
    private static String absoluteClassPath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    private AppProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code carrycast run} with the given settings written to a properties file in {@code dir}. */
    public static AppProcess start(Path dir, String name, Map<String, Object> settings) {
        return command(dir, name, Map.of(), "run", "--config", writeSettings(dir, name, settings).toString());
    }

    /**
     * Starts {@code carrycast run} with {@code settings} in the file and {@code environment} as
     * {@code CARRYCAST_*} variables (the way secrets are given), Kafka logging at {@code kafkaLogLevel}
     * ({@code INFO} prints every client's settings).
     */
    public static AppProcess run(Path dir, String name, Map<String, Object> settings, Map<String, String> environment,
                                 String kafkaLogLevel) {
        return launch(dir, name, environment, kafkaLogLevel, "run", "--config", writeSettings(dir, name, settings).toString());
    }

    /** Writes settings to {@code dir/name.properties}, as {@code carrycast run --config} reads them. */
    public static Path writeSettings(Path dir, String name, Map<String, Object> settings) {
        try {
            Files.createDirectories(dir);
            Path config = dir.resolve(name + ".properties");
            Properties properties = new Properties();
            settings.forEach((k, v) -> properties.setProperty(k, String.valueOf(v)));
            try (Writer writer = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
                properties.store(writer, "test instance " + name);
            }
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts {@code carrycast ARGS} on the test class path, in {@code dir}, with no {@code CARRYCAST_*}
     * variables but those in {@code environment}; output goes to {@code dir/name.log}.
     */
    public static AppProcess command(Path dir, String name, Map<String, String> environment, String... args) {
        return launch(dir, name, environment, System.getProperty("kafka.log.level", "WARN"), args);
    }

    private static AppProcess launch(Path dir, String name, Map<String, String> environment, String kafkaLogLevel,
                                     String... args) {
        try {
            Files.createDirectories(dir);
            Path log = dir.resolve(name + ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            // The shipped logging configuration, not the tests' logback-test.xml that the class path also holds.
            List<String> command = new ArrayList<>(List.of(java, "-Xmx512m",
                    "-Dkafka.log.level=" + kafkaLogLevel, "-Dlogback.configurationFile=" + SHIPPED_LOGGING, "-cp",
                    absoluteClassPath(), "io.carrycast.cli.CarrycastCommand"));
            command.addAll(List.of(args));
            ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().keySet().removeIf(variable -> variable.startsWith("CARRYCAST_"));
            builder.environment().putAll(environment);
            return new AppProcess(builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGKILL: no shutdown hook, no commit, no flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, without waiting. */
    public void terminate() {
        process.destroy();
    }

    /** Sends the signal named, e.g. {@code INT} as Ctrl-C in a terminal does, without waiting. */
    public void signal(String name) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new AssertionError("kill -" + name + " " + process.pid() + " failed with " + kill.exitValue());
        }
    }

    /** Waits for the process to end and returns its exit code; fails when it is still running after {@code timeout}. */
    public int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("still running after " + timeout + "; output:\n" + log());
        }
        return process.exitValue();
    }

    /** Waits for the process to end; false when it still runs after {@code timeout}. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The output's lines, without the blank ones. */
    public List<String> lines() {
        return log().lines().filter(line -> !line.isBlank()).toList();
    }

    /** Waits until a line of output contains {@code text}; fails when the process ends or time runs out first. */
    public void awaitLine(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!log().contains(text)) {
            if (!process.isAlive() && !log().contains(text)) {
                throw new AssertionError("ended (exit " + process.exitValue() + ") before printing '" + text
                        + "'; output:\n" + log());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no line with '" + text + "' after " + timeout + "; output:\n" + log());
            }
            Thread.sleep(100);
        }
    }

    /** SIGTERM, then waits for the clean shutdown. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
