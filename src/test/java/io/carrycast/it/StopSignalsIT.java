package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.testing.AppProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The commands that run until stopped ({@code broker}, {@code demo --keep-broker} after its summary; {@code run}
 * in {@link RunCommandIT}) stop on SIGTERM and on Ctrl-C's SIGINT by closing what they hold, and exit as if
 * no signal had come: 0 for the broker, the demo's own result for the demo, never 128 + the signal.
 */
class StopSignalsIT {

    private static final Duration WAIT = Duration.ofSeconds(300);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT"})
    void shouldStopTheBrokerCleanlyAndExitZeroOnSigtermAndCtrlC(String signal) throws Exception {
        AppProcess broker = AppProcess.command(dir, "broker", Map.of(), "broker", "--port", "0", "--topics", "events");
        broker.awaitLine("Stop with Ctrl-C.", WAIT);

        broker.signal(signal);

        assertEquals(0, broker.exitCode(WAIT), broker.log());
        assertEquals(List.of("Kafka broker stopping (SIG" + signal + ") ...", "Kafka broker stopped cleanly."),
                lastLines(broker, 2));
    }

    @Test
    void shouldStopTheDemosKeptBrokerOnCtrlCAndExitWithTheDemosResult() throws Exception {
        AppProcess demo = AppProcess.command(dir, "demo", Map.of(), "demo", "--keep-broker", "--model",
                Path.of("config/models/weather-lstm").toAbsolutePath().toString(), "--report-dir",
                dir.resolve("report").toString());
        demo.awaitLine("Stop with Ctrl-C.", WAIT);

        demo.signal("INT");

        // The bundled model beats persistence for both cities (DemoIT): the demo's exit code is 0.
        assertEquals(0, demo.exitCode(WAIT), demo.log());
        assertEquals(List.of("Stopping the broker (SIGINT)."), lastLines(demo, 1));
    }

    private static List<String> lastLines(AppProcess process, int count) {
        List<String> lines = process.lines();
        return lines.subList(Math.max(0, lines.size() - count), lines.size());
    }
}
