package io.carrycast.topology;

import io.carrycast.forecast.InvalidEventException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the log says about dead letters, one line each: a WARN line per dead-lettered event and an ERROR line
 * per record carrycast could not write, naming the reason, the key and where the event came from
 * ({@code topic-partition@offset}). Together they are held to {@value #LINES_PER_SECOND} lines a second; the
 * lines left out are counted, and the next line logged is preceded by one saying how many. Stack traces go
 * to DEBUG only (a dead-letter record also carries its trace in the {@code __streams.errors.stacktrace}
 * header). The metrics count every event, logged or not.
 *
 * <p>Kafka Streams creates a handler per task, so the budget lives here, shared: the application hands one
 * instance to its handlers under {@link #CONFIG_KEY}; without one they share {@link #shared()}, one per JVM.
 */
public final class DeadLetterLog {

    /** Key under which an application hands its instance to the handlers Kafka Streams creates. */
    public static final String CONFIG_KEY = "carrycast.internal.dead.letter.log";
    public static final int LINES_PER_SECOND = 10;

    private static final int MAX_KEY_CHARS = 80;
    private static final int MAX_MESSAGE_CHARS = 400;
    private static final DeadLetterLog SHARED = new DeadLetterLog(LoggerFactory.getLogger(DeadLetterLog.class),
            LINES_PER_SECOND, Duration.ofSeconds(1), System::nanoTime);

    private final Logger log;
    private final int linesPerWindow;
    private final long windowNanos;
    private final LongSupplier nanoTime;
    private long windowStart;
    private int linesInWindow;
    private long leftOut;

    /**
     * @param nanoTime the clock ({@code System::nanoTime}; tests pass their own)
     */
    public DeadLetterLog(Logger log, int linesPerWindow, Duration window, LongSupplier nanoTime) {
        this.log = log;
        this.linesPerWindow = linesPerWindow;
        this.windowNanos = window.toNanos();
        this.nanoTime = nanoTime;
        this.windowStart = nanoTime.getAsLong();
    }

    /** A fresh instance with the standard budget, for one application. */
    public static DeadLetterLog create() {
        return new DeadLetterLog(LoggerFactory.getLogger(DeadLetterLog.class), LINES_PER_SECOND, Duration.ofSeconds(1),
                System::nanoTime);
    }

    /** The instance handlers use when their application gave them none. */
    public static DeadLetterLog shared() {
        return SHARED;
    }

    /** An event went to the dead-letter topic. */
    public void deadLettered(String source, Object key, String reason, Exception exception) {
        if (admit()) {
            log.warn("Dead-lettered {} key={} reason={}: {}", source, printable(key), reason, oneLine(exception));
        }
        log.debug("Dead-lettered {} key={}: stack trace", source, printable(key), exception);
    }

    /** A dead-letter record could not be written; the event is in neither output. */
    public void deadLetterNotWritten(String source, Object key, String reason, String topic, Exception exception) {
        if (admit()) {
            log.error("Dead letter of {} key={} reason={} not written to {}: {}; skipped (counted in "
                    + "carrycast_records_dropped_total)", source, printable(key), reason, topic, oneLine(exception));
        }
        log.debug("Dead letter of {} key={} not written: stack trace", source, printable(key), exception);
    }

    /** An event is let through without its dead letter, which could not be written before. */
    public void deadLetterSkipped(String source, Object key, String reason) {
        if (admit()) {
            log.error("Dead letter of {} key={} reason={} skipped: it could not be written before; the event is in "
                    + "neither output", source, printable(key), reason);
        }
    }

    /** A record other than a dead letter was refused by the producer and skipped. */
    public void recordNotWritten(Object key, String topic, Exception exception) {
        if (admit()) {
            log.error("Record key={} not written to {}: {}; skipped (counted in carrycast_records_dropped_total)",
                    printable(key), topic, oneLine(exception));
        }
        log.debug("Record key={} not written to {}: stack trace", printable(key), topic, exception);
    }

    /**
     * Whether a line may be logged now; when lines were left out since the last one, first logs how many.
     */
    private boolean admit() {
        long reported;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (now - windowStart >= windowNanos) {
                windowStart = now;
                linesInWindow = 0;
            }
            if (linesInWindow >= linesPerWindow) {
                leftOut++;
                return false;
            }
            linesInWindow++;
            reported = leftOut;
            leftOut = 0;
        }
        if (reported > 0) {
            log.warn("{} dead-letter log lines left out (at most {} a second are logged; the metrics count every event)",
                    reported, linesPerWindow);
        }
        return true;
    }

    /** {@code topic-partition@offset}, as Kafka names a partition, with the offset. */
    static String source(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }

    private static String printable(Object key) {
        if (key == null) {
            return "null";
        }
        String text = key instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
                : key.toString();
        return abbreviate(text.replaceAll("\\p{Cntrl}", "?"), MAX_KEY_CHARS);
    }

    private static String oneLine(Exception exception) {
        String message = exception.getMessage();
        String text = message == null ? exception.getClass().getName()
                : exception instanceof InvalidEventException ? message
                : exception.getClass().getSimpleName() + ": " + message;
        return abbreviate(text.replaceAll("\\s*[\\r\\n]+\\s*", " "), MAX_MESSAGE_CHARS);
    }

    private static String abbreviate(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max) + "...(" + text.length() + " chars)";
    }
}
