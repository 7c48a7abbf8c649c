package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.carrycast.forecast.InvalidEventException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dead-letter log's budget, on a clock the test moves. */
class DeadLetterLogTest {

    private static final InvalidEventException LATE = new InvalidEventException(InvalidEventException.Reason.LATE,
            "event time 2024-03-30T21:00:00Z of key 'sensor-a' is not after its last accepted event");

    private final AtomicLong nanos = new AtomicLong();
    private final LoggerContext context = new LoggerContext();
    private final Logger logger = context.getLogger("dead-letters");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private DeadLetterLog log;

    @BeforeEach
    void capture() {
        lines.setContext(context);
        lines.start();
        logger.addAppender(lines);
        logger.setLevel(Level.INFO);
        log = new DeadLetterLog(logger, 10, Duration.ofSeconds(1), nanos::get);
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    @Test
    void shouldLogOneLinePerEventWithReasonKeyAndSourceAndNoStackTrace() {
        log.deadLettered(DeadLetterLog.source("events", 3, 1234), "sensor-a", "late", LATE);

        assertEquals(1, lines.list.size());
        ILoggingEvent line = lines.list.get(0);
        assertEquals(Level.WARN, line.getLevel());
        assertEquals("Dead-lettered events-3@1234 key=sensor-a reason=late: event time 2024-03-30T21:00:00Z of key "
                + "'sensor-a' is not after its last accepted event", line.getFormattedMessage());
        assertNull(line.getThrowableProxy(), "no stack trace above DEBUG");
    }

    @Test
    void shouldKeepToTheBudgetAndSayHowManyLinesWereLeftOut() {
        for (int i = 0; i < 25; i++) {
            log.deadLettered(DeadLetterLog.source("events", 0, i), "sensor-a", "late", LATE);
        }
        assertEquals(10, lines.list.size(), "10 lines in the first second");
        assertEquals("Dead-lettered events-0@9 key=sensor-a reason=late: " + LATE.getMessage(),
                lines.list.get(9).getFormattedMessage());

        nanos.addAndGet(Duration.ofMillis(999).toNanos());
        log.deadLettered(DeadLetterLog.source("events", 0, 25), "sensor-a", "late", LATE);
        assertEquals(10, lines.list.size(), "still the same second");

        nanos.addAndGet(Duration.ofMillis(1).toNanos());
        log.deadLettered(DeadLetterLog.source("events", 0, 26), "sensor-a", "late", LATE);
        List<String> after = lines.list.subList(10, lines.list.size()).stream().map(ILoggingEvent::getFormattedMessage)
                .toList();
        assertEquals(List.of("16 dead-letter log lines left out (at most 10 a second are logged; the metrics count "
                + "every event)", "Dead-lettered events-0@26 key=sensor-a reason=late: " + LATE.getMessage()), after);
    }

    @Test
    void shouldShareOneBudgetBetweenDeadLettersAndRecordsNotWritten() {
        for (int i = 0; i < 10; i++) {
            log.deadLettered(DeadLetterLog.source("events", 0, i), "sensor-a", "late", LATE);
        }
        log.deadLetterNotWritten("events-0@10", "sensor-a", "not_json", "dlq", new RecordTooLargeException("too big"));

        assertEquals(10, lines.list.size());
    }

    @Test
    void shouldLogTheStackTraceAtDebugOnly() {
        logger.setLevel(Level.DEBUG);

        log.deadLettered(DeadLetterLog.source("events", 0, 7), "sensor-a", "late", LATE);

        assertEquals(2, lines.list.size());
        assertNull(lines.list.get(0).getThrowableProxy());
        assertEquals(Level.DEBUG, lines.list.get(1).getLevel());
        assertNotNull(lines.list.get(1).getThrowableProxy());
    }

    @Test
    void shouldShortenLongKeysAndPutMessagesOnOneLine() {
        log.deadLetterNotWritten("events-1@2", "k".repeat(1000), "too_large", "dlq",
                new RecordTooLargeException("first line\nsecond line"));

        assertEquals("Dead letter of events-1@2 key=" + "k".repeat(80) + "...(1000 chars) reason=too_large not written "
                + "to dlq: RecordTooLargeException: first line second line; skipped (counted in "
                + "carrycast_records_dropped_total)", lines.list.get(0).getFormattedMessage());
        assertEquals(Level.ERROR, lines.list.get(0).getLevel());
    }
}
