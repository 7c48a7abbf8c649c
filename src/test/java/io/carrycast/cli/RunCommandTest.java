package io.carrycast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code carrycast run} as a user meets it, in a child JVM: what it prints and the exit code when the
 * configuration file is missing, the HTTP port is taken, the cluster cannot be reached, or it is told to
 * stop while waiting. None of these needs a broker; a stop while running is in {@code RunCommandIT}.
 */
class RunCommandTest {

    private static final Duration EXIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void shouldSayInOneLineWhyTheConfigurationFileCannotBeRead() throws Exception {
        AppProcess run = AppProcess.command(dir, "missing", Map.of(), "run", "--config", "no-such.properties");

        assertEquals(2, run.exitCode(EXIT), run.log());
        assertEquals(List.of("carrycast: cannot read configuration file no-such.properties ("
                + dir.toRealPath().resolve("no-such.properties") + "): no such file"), run.lines());
    }

    @Test
    void shouldNameTheDefaultConfigurationFileAndTheDirectoryWhenNoneIsGiven() throws Exception {
        AppProcess run = AppProcess.command(dir, "default", Map.of(), "run");

        assertEquals(2, run.exitCode(EXIT), run.log());
        assertEquals(List.of("carrycast: no configuration file: --config not given, and the default "
                + "config/carrycast.properties is not in the current directory (" + dir.toRealPath()
                + "); give --config FILE"), run.lines());
    }

    @Test
    void shouldRefuseABusyHttpPortInOneLineWithExitCodeTwo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Map<String, Object> settings = settings(closedPort());
            settings.put(CarrycastConfig.HTTP_PORT_CONFIG, taken.getLocalPort());
            AppProcess run = AppProcess.start(dir, "busy", settings);

            assertEquals(2, run.exitCode(EXIT), run.log());
            assertEquals(List.of("carrycast: cannot start the HTTP endpoint: 127.0.0.1:" + taken.getLocalPort()
                    + " is already in use (carrycast.http.port: another port, 0 for any free one, -1 for none)"),
                    run.lines());
        }
    }

    @Test
    void shouldReportTheUnreachableAddressWhileWaitingAndGiveUpWithExitCodeTwo() throws Exception {
        int port = closedPort();
        Map<String, Object> settings = settings(port);
        settings.put(CarrycastConfig.CLUSTER_WAIT_MS_CONFIG, 20_000);
        AppProcess run = AppProcess.start(dir, "unreachable", settings);

        assertEquals(2, run.exitCode(EXIT), run.log());
        String address = "127.0.0.1:" + port;
        List<String> lines = run.lines();
        assertTrue(lines.stream().anyMatch(line -> line.contains("WARN") && line.contains("Cannot reach the Kafka "
                + "cluster at " + address + " (" + address + ": connection refused); retrying for ")), run.log());
        assertEquals("carrycast: cannot reach the Kafka cluster at " + address + " within 20 s (" + address
                + ": connection refused); check bootstrap.servers and that the brokers are up",
                lines.get(lines.size() - 1));
    }

    @Test
    void shouldStopWithALastLineAndExitCodeZeroOnSigtermWhileWaitingForTheCluster() throws Exception {
        AppProcess run = AppProcess.start(dir, "waiting", settings(closedPort()));
        run.awaitLine("Cannot reach the Kafka cluster", EXIT);

        run.terminate();

        assertEquals(0, run.exitCode(EXIT), run.log());
        List<String> lines = run.lines();
        assertTrue(lines.get(lines.size() - 1).endsWith("carrycast stopped (SIGTERM while starting)"), run.log());
    }

    @Test
    void shouldTakeTheLaunchersJavaOptionsVariableForNoSetting() throws Exception {
        Map<String, Object> settings = settings(closedPort());
        settings.put(CarrycastConfig.CLUSTER_WAIT_MS_CONFIG, 1000);
        AppProcess run = AppProcess.command(dir, "launcher-variable", Map.of("CARRYCAST_JAVA_OPTS", "-Xmx512m"),
                "run", "--config", AppProcess.writeSettings(dir, "launcher-variable", settings).toString());

        assertEquals(2, run.exitCode(EXIT), run.log());
        List<String> lines = run.lines();
        assertTrue(lines.get(lines.size() - 1).startsWith("carrycast: cannot reach the Kafka cluster"), run.log());
    }

    /** A running instance's settings against a port nothing listens on. */
    private Map<String, Object> settings(int bootstrapPort) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + bootstrapPort);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, Fixture.load("lstm").directory().toString());
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, 0);
        return settings;
    }

    /** A port that was free a moment ago: connections to it are refused. */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
