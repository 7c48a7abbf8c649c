package io.carrycast.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

/** Kafka's account of a refusal stays off the console below DEBUG; carrycast's lines and other errors pass. */
class AccessRefusalLogFilterTest {

    private static final String COLLECTOR = "org.apache.kafka.streams.processor.internals.RecordCollectorImpl";
    private final LoggerContext loggers = new LoggerContext();
    private final AccessRefusalLogFilter filter = new AccessRefusalLogFilter();

    AccessRefusalLogFilterTest() {
        filter.setContext(loggers);
        loggers.getLogger("org.apache.kafka").setLevel(Level.WARN);
    }

    @Test
    void shouldDropKafkasRecordOfARefusalDeepInTheCauseChain() {
        StreamsException wrapped = new StreamsException("Error encountered sending record", new KafkaException(
                "Cannot execute transactional method", new TopicAuthorizationException("Not authorized to access topics")));

        assertEquals(FilterReply.DENY, filter.decide(event(COLLECTOR, Level.ERROR, "Failed to flush", wrapped)));
    }

    @Test
    void shouldDropTheClientsRefusalLinesThatCarryNoException() {
        assertEquals(FilterReply.DENY, filter.decide(event("org.apache.kafka.clients.NetworkClient", Level.ERROR,
                "[AdminClient clientId=carrycast-cluster-probe] Connection to node -1 (localhost/127.0.0.1:9093) failed "
                        + "authentication due to: SSL handshake failed", null)));
    }

    @Test
    void shouldDropWhatFollowsARefusalButNothingBeforeIt() {
        LoggingEvent aborted = event(COLLECTOR, Level.ERROR, "Error encountered sending record",
                new TransactionAbortedException("Failing batch since transaction was aborted"));
        assertEquals(FilterReply.NEUTRAL, filter.decide(aborted));

        filter.decide(event("org.apache.kafka.clients.admin.internals.AdminMetadataManager", Level.WARN,
                "Fatal error during metadata update", new SslAuthenticationException("SSL handshake failed")));

        assertEquals(FilterReply.DENY, filter.decide(aborted));
    }

    @Test
    void shouldLetOtherKafkaErrorsAndCarrycastsOwnLinesThrough() {
        assertEquals(FilterReply.NEUTRAL, filter.decide(event(COLLECTOR, Level.ERROR, "Error encountered sending record",
                new TimeoutException("Expiring 3 record(s)"))));
        assertEquals(FilterReply.NEUTRAL, filter.decide(event("io.carrycast.app.CarrycastApplication", Level.ERROR,
                "Not authorized to access topics", new TopicAuthorizationException("Not authorized to access topics"))));
    }

    @Test
    void shouldLeaveTheBrokersLinesAloneEvenAfterARefusal() {
        filter.decide(event(COLLECTOR, Level.ERROR, "Error encountered sending record",
                new TopicAuthorizationException("Not authorized to access topics")));

        assertEquals(FilterReply.NEUTRAL, filter.decide(event("kafka.server.ReplicaManager", Level.ERROR,
                "Error processing append operation on partition events-0", new KafkaException("disk full"))));
        assertEquals(FilterReply.NEUTRAL, filter.decide(event("org.apache.kafka.server.authorizer.Authorizer",
                Level.WARN, "Principal = User:other is Denied operation = Write; Not authorized to access topics", null)));
    }

    @Test
    void shouldShowKafkasFullAccountAtDebug() {
        loggers.getLogger("org.apache.kafka").setLevel(Level.DEBUG);

        assertEquals(FilterReply.NEUTRAL, filter.decide(event(COLLECTOR, Level.ERROR, "Error encountered sending record",
                new TopicAuthorizationException("Not authorized to access topics"))));
    }

    private LoggingEvent event(String logger, Level level, String message, Throwable thrown) {
        Logger source = loggers.getLogger(logger);
        return new LoggingEvent(Logger.class.getName(), source, level, message, thrown, null);
    }
}
