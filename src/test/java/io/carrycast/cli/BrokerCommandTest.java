package io.carrycast.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.testing.AppProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code carrycast broker} in a child JVM, as a user starts it. */
class BrokerCommandTest {

    @TempDir
    Path dir;

    @Test
    void shouldRefuseABusyPortInOneLineWithExitCodeTwo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            AppProcess broker = AppProcess.command(dir, "broker", Map.of(), "broker", "--port",
                    String.valueOf(taken.getLocalPort()));

            assertEquals(2, broker.exitCode(Duration.ofSeconds(120)), broker.log());
            assertEquals(List.of("carrycast: cannot start the Kafka broker: 127.0.0.1:" + taken.getLocalPort()
                    + " is already in use (another broker?); choose another port"), broker.lines());
        }
    }
}
