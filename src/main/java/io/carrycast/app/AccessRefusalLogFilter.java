package io.carrycast.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;

/**
 * Keeps Kafka's own account of a refused login or a missing ACL off the console unless Kafka's log level is
 * DEBUG or finer. Kafka's clients and Kafka Streams log such a refusal a dozen times over, with stack traces
 * (about 300 lines for a missing Write on the output topic), and then the failures it causes (aborted
 * transactions, batches failed, stores not flushed); carrycast explains the refusal in one last line
 * ({@link KafkaAccessFailure}) and stops, so none of that tells the operator more.
 *
 * <p>Dropped: WARN and ERROR records of Kafka's client and Streams loggers whose exception's cause chain
 * holds a refusal ({@link KafkaAccessFailure#isRefusal}) or whose text is one of the clients' refusal lines,
 * which carry no exception; and, once one was seen, every later WARN and ERROR record of those loggers, which
 * follow from it. carrycast's own records and the broker's always pass. {@code -Dkafka.log.level=DEBUG}
 * shows it all.
 */
public final class AccessRefusalLogFilter extends Filter<ILoggingEvent> {

    /** Refusals the clients log as text alone, e.g. NetworkClient's "failed authentication due to: SSL handshake failed". */
    static final List<String> REFUSAL_TEXTS = List.of(" failed authentication due to: ", "authorization failed for ",
            "Not authorized to access ");

    /**
     * The clients' and Kafka Streams' loggers. The broker's (kafka.*, org.apache.kafka.server.*, ...) are left
     * alone: an embedded broker's refusal of some other client is its operator's business, and one must not
     * silence the broker's later errors.
     */
    static final List<String> CLIENT_LOGGERS = List.of("org.apache.kafka.clients.", "org.apache.kafka.streams.",
            "org.apache.kafka.common.");

    private volatile boolean refusalSeen;

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (!isKafkaClients(event.getLoggerName()) || !event.getLevel().isGreaterOrEqual(Level.WARN)
                || kafkaLogsDebug(event.getLoggerName())) {
            return FilterReply.NEUTRAL;
        }
        if (refusalSeen || holdsRefusal(event.getThrowableProxy()) || isRefusalText(event.getFormattedMessage())) {
            refusalSeen = true;
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }

    private static boolean isKafkaClients(String logger) {
        return CLIENT_LOGGERS.stream().anyMatch(logger::startsWith);
    }

    private boolean kafkaLogsDebug(String logger) {
        if (getContext() instanceof LoggerContext loggers) {
            Logger kafka = loggers.getLogger(logger);
            return kafka.isDebugEnabled();
        }
        return false;
    }

    private static boolean holdsRefusal(IThrowableProxy thrown) {
        for (IThrowableProxy cause = thrown; cause != null; cause = cause.getCause()) {
            if (KafkaAccessFailure.isRefusal(cause.getClassName())) {
                return true;
            }
            for (IThrowableProxy suppressed : cause.getSuppressed()) {
                if (holdsRefusal(suppressed)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isRefusalText(String message) {
        return message != null && REFUSAL_TEXTS.stream().anyMatch(message::contains);
    }
}
