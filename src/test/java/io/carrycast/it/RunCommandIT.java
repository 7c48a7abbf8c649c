package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code carrycast run} in a child JVM against the embedded broker, stopped as a supervisor stops it. */
@ExtendWith(KafkaBroker.class)
class RunCommandIT {

    private static final Duration WAIT = Duration.ofSeconds(300);

    @TempDir
    Path dir;

    @Test
    void shouldCloseCleanlyOnSigtermWithALastLineAndExitCodeZero() throws Exception {
        Topics topics = Topics.create("sigterm", 2);
        Map<String, Object> settings = topics.settings(Fixture.load("lstm").directory(), dir.resolve("state"),
                "sigterm-" + UUID.randomUUID());
        AppProcess run = AppProcess.start(dir, "run", settings);
        run.awaitLine("Kafka Streams REBALANCING -> RUNNING", WAIT);

        run.terminate();

        assertEquals(0, run.exitCode(WAIT), run.log());
        List<String> lines = run.lines();
        assertTrue(lines.get(lines.size() - 1).endsWith(
                "carrycast stopped (SIGTERM): Kafka Streams closed cleanly, model released"), run.log());
        assertTrue(run.log().contains("Kafka Streams PENDING_SHUTDOWN -> NOT_RUNNING"), run.log());
    }
}
