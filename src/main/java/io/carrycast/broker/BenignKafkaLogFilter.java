package io.carrycast.broker;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Keeps out of the console the few Kafka log lines that look alarming in a run that works, and only those:
 *
 * <ul>
 * <li>The broker's {@code ERROR ... OutOfOrderSequenceException: ... Expected sequence 0 for transactions v2
 * idempotent producer with no existing state} ({@code kafka.server.ReplicaManager}). Since KAFKA-18202 the
 * broker rejects a transactions-v2 producer's batch that arrives before the first batch of its transaction
 * on that partition, with a retriable error, and the producer sends it again. Seen in every exactly-once run
 * of the demo on the embedded broker, with correct results.</li>
 * <li>The producer's {@code WARN ... Got error produce response ..., retrying ... Error: CONCURRENT_TRANSACTIONS}
 * and {@code ... Error: OUT_OF_ORDER_SEQUENCE_NUMBER} ({@code org.apache.kafka.clients.producer.internals.Sender}):
 * the same retriable rejection, and a transaction that starts while the previous one is still being
 * completed, both retried by the producer. An error that persists surfaces as its own exception.</li>
 * <li>Kafka Streams' {@code WARN Processing exception handler is not enabled for the GlobalThread ...}
 * ({@code org.apache.kafka.streams.StreamsConfig}), once per stream thread: carrycast enables it
 * ({@code processing.exception.handler.global.enabled=true}), but Kafka's partition assignor rebuilds a
 * configuration from the consumer's settings, which lack it, and warns about that copy.</li>
 * </ul>
 *
 * Matched by logger, level and message text; anything else from those loggers passes.
 */
public final class BenignKafkaLogFilter extends Filter<ILoggingEvent> {

    static final String REPLICA_MANAGER = "kafka.server.ReplicaManager";
    static final String PRODUCER_SENDER = "org.apache.kafka.clients.producer.internals.Sender";
    static final String TRANSACTIONS_V2_FIRST_BATCH = "Expected sequence 0 for transactions v2 idempotent producer "
            + "with no existing state";

    static final String STREAMS_CONFIG = "org.apache.kafka.streams.StreamsConfig";
    static final String GLOBAL_HANDLER_NOT_ENABLED = "Processing exception handler is not enabled for the GlobalThread.";

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return isBrokersRetriableRejection(event) || isProducersRetry(event) || isAssignorsConfigCopy(event)
                ? FilterReply.DENY : FilterReply.NEUTRAL;
    }

    private static boolean isBrokersRetriableRejection(ILoggingEvent event) {
        if (!REPLICA_MANAGER.equals(event.getLoggerName())) {
            return false;
        }
        IThrowableProxy thrown = event.getThrowableProxy();
        return thrown != null && thrown.getClassName().endsWith(".OutOfOrderSequenceException")
                && thrown.getMessage() != null && thrown.getMessage().contains(TRANSACTIONS_V2_FIRST_BATCH);
    }

    private static boolean isAssignorsConfigCopy(ILoggingEvent event) {
        return STREAMS_CONFIG.equals(event.getLoggerName()) && event.getMessage() != null
                && event.getMessage().startsWith(GLOBAL_HANDLER_NOT_ENABLED);
    }

    private static boolean isProducersRetry(ILoggingEvent event) {
        if (!PRODUCER_SENDER.equals(event.getLoggerName())) {
            return false;
        }
        String message = event.getFormattedMessage();
        return message != null && message.contains("Got error produce response") && message.contains(", retrying (")
                && (message.endsWith("Error: CONCURRENT_TRANSACTIONS") || message.endsWith("Error: OUT_OF_ORDER_SEQUENCE_NUMBER"));
    }
}
