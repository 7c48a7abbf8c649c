package io.carrycast.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * carrycast's {@code run} command in a separate JVM, so a test can {@code kill -9} it like an operator's
 * crash. Output goes to a log file beside the config, for failure diagnosis.
 */
public final class AppProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private AppProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts {@code carrycast run} with the given settings written to a properties file in {@code dir}. */
    public static AppProcess start(Path dir, String name, Map<String, Object> settings) {
        try {
            Files.createDirectories(dir);
            Path config = dir.resolve(name + ".properties");
            Properties properties = new Properties();
            settings.forEach((k, v) -> properties.setProperty(k, String.valueOf(v)));
            try (Writer writer = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
                properties.store(writer, "test instance " + name);
            }
            Path log = dir.resolve(name + ".log");
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            ProcessBuilder builder = new ProcessBuilder(List.of(java, "-Xmx512m",
                    "-Dkafka.log.level=" + System.getProperty("kafka.log.level", "WARN"), "-cp",
                    System.getProperty("java.class.path"), "io.carrycast.cli.CarrycastCommand", "run", "--config",
                    config.toString()));
            builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
            builder.environment().keySet().removeIf(variable -> variable.startsWith("CARRYCAST_"));
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

    /** SIGTERM without waiting: the instance runs its clean shutdown while the caller goes on. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to end; false when it still runs after {@code timeout}. */
    public boolean awaitExit(java.time.Duration timeout) throws InterruptedException {
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

    /** SIGTERM, then waits for the clean shutdown. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
