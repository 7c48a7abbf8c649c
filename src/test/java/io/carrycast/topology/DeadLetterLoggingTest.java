package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Meters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * What a user reads when events are dead-lettered: one line each, naming reason, key and offset, no stack
 * traces, at most {@value DeadLetterLog#LINES_PER_SECOND} a second; and a dead letter too large for the
 * producer is cut to fit.
 */
class DeadLetterLoggingTest {

    private static final String KEY = "sensor-a";

    @TempDir
    Path stateDir;

    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void capture() {
        lines.start();
        root.addAppender(lines);
    }

    @AfterEach
    void release() {
        root.detachAppender(lines);
    }

    @Test
    void shouldLogOneLinePerDeadLetteredEventNamingReasonKeyAndOffsetWithoutStackTrace() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> good = fixture.events(KEY);
        int valueBytes = good.get(2).bytes().length;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.event.max.bytes", "200"))) {
            lines.list.clear();
            driver.send(good.get(1));                                                         // offset 0
            driver.sendRaw(KEY, "{level: oops".getBytes(StandardCharsets.UTF_8), good.get(1).timeMs() + 1);
            driver.send(good.get(0));                                                         // offset 2: late
            driver.sendRaw("k".repeat(300), good.get(2).bytes(), good.get(2).timeMs());       // offset 3: key too long
            driver.send(good.get(2));
            assertEquals(2, driver.forecasts().size());
        }

        List<ILoggingEvent> warnings = lines.list.stream().filter(line -> line.getLevel().isGreaterOrEqual(Level.WARN))
                .toList();
        assertEquals(List.of(
                "Dead-lettered events-0@1 key=sensor-a reason=not_json: event value is not JSON: Unexpected character "
                        + "('l' (code 108)): was expecting double-quote to start field name",
                "Dead-lettered events-0@2 key=sensor-a reason=late: ",
                "Dead-lettered events-0@3 key=" + "k".repeat(80) + "...(300 chars) reason=too_large: event has "
                        + (300 + valueBytes) + " bytes (key 300, value " + valueBytes + "), over the limit of 200 "
                        + "(carrycast.event.max.bytes)"),
                warnings.stream().map(ILoggingEvent::getFormattedMessage)
                        .map(line -> line.startsWith("Dead-lettered events-0@2") ? line.substring(0, line.indexOf(": ") + 2)
                                : line).toList(),
                "one line per dead-lettered event, and no other warning");
        warnings.forEach(line -> assertNull(line.getThrowableProxy(), "no stack trace: " + line.getFormattedMessage()));
    }

    @Test
    void shouldLogAtMostTenLinesASecondHoweverManyEventsAreDeadLettered() {
        Fixture fixture = Fixture.load("lstm");
        int bad = 300;
        long started;
        long elapsedNanos;
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of())) {
            lines.list.clear();
            started = System.nanoTime();
            for (int i = 0; i < bad; i++) {
                driver.sendRaw(KEY, "[1, 2, 3]".getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L + i);
            }
            elapsedNanos = System.nanoTime() - started;
            assertEquals(bad, driver.deadLetters().size(), "every event dead-lettered");
            assertEquals(bad, Meters.count(driver.registry(), "carrycast.events.dead.lettered", "reason", "not_object"), "and counted");
        }

        long logged = lines.list.stream().filter(line -> line.getFormattedMessage().startsWith("Dead-lettered ")).count();
        // The log's one-second budget windows began when the driver opened, before the first event, so the
        // stretch can touch one window more than its whole seconds plus one.
        long seconds = elapsedNanos / 1_000_000_000L + 2;
        assertTrue(logged >= DeadLetterLog.LINES_PER_SECOND && logged <= DeadLetterLog.LINES_PER_SECOND * seconds,
                logged + " lines for " + bad + " events in " + elapsedNanos / 1e9 + " s");
    }

    @Test
    void shouldCutADeadLetterTooLargeForTheProducerAndSaySo() {
        Fixture fixture = Fixture.load("lstm");
        byte[] large = ("{\"note\":\"" + "x".repeat(200_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.event.max.bytes", "200", "max.request.size", "65536"))) {
            driver.sendRaw(KEY, large, 1_700_000_000_000L);

            TestRecord<String, byte[]> deadLetter = driver.deadLetters().get(0);
            assertEquals("too_large", header(deadLetter, DeadLetterReasonHandler.REASON_HEADER));
            assertEquals(String.valueOf(large.length), header(deadLetter, DeadLetterRecords.ORIGINAL_BYTES_HEADER));
            assertEquals("max.request.size", header(deadLetter, DeadLetterRecords.TRUNCATED_HEADER));
            assertTrue(deadLetter.value().length > 32_768 && deadLetter.value().length < 65536,
                    "cut to fit 65536 bytes with its headers: " + deadLetter.value().length);
            assertEquals(new String(large, 0, deadLetter.value().length, StandardCharsets.UTF_8),
                    new String(deadLetter.value(), StandardCharsets.UTF_8));
        }
    }

    private static String header(TestRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
