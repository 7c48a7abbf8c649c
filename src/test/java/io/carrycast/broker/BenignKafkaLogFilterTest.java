package io.carrycast.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.spi.FilterReply;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.Test;

/** Only the known-benign lines are kept out of the console; the lines around them pass. */
class BenignKafkaLogFilterTest {

    private static final String BROKER_LINE = "[ReplicaManager broker=1] Error processing append operation on partition "
            + "qhLKkodmQCS4qQmKpRr4kg:weather-forecasts-1";
    private static final OutOfOrderSequenceException FIRST_BATCH = new OutOfOrderSequenceException("Invalid sequence "
            + "number for producer 2 at offset 13 in partition weather-forecasts-1: 1 (incoming seq. number). Expected "
            + "sequence 0 for transactions v2 idempotent producer with no existing state.");
    private static final String RETRY_LINE = "[Producer clientId=carrycast-StreamThread-2-producer, transactionalId="
            + "carrycast-2] Got error produce response with correlation id 22 on topic-partition weather-forecasts-1, "
            + "retrying (2147483646 attempts left). Error: ";

    private final BenignKafkaLogFilter filter = new BenignKafkaLogFilter();

    @Test
    void shouldDropTheBrokersRetriableRejectionOfATransactionsV2Batch() {
        assertEquals(FilterReply.DENY, filter.decide(event(BenignKafkaLogFilter.REPLICA_MANAGER, Level.ERROR, BROKER_LINE,
                FIRST_BATCH)));
    }

    @Test
    void shouldDropTheProducersRetriesOfConcurrentTransactionsAndOutOfOrderSequences() {
        assertEquals(FilterReply.DENY, filter.decide(event(BenignKafkaLogFilter.PRODUCER_SENDER, Level.WARN,
                RETRY_LINE + "CONCURRENT_TRANSACTIONS", null)));
        assertEquals(FilterReply.DENY, filter.decide(event(BenignKafkaLogFilter.PRODUCER_SENDER, Level.WARN,
                RETRY_LINE + "OUT_OF_ORDER_SEQUENCE_NUMBER", null)));
    }

    @Test
    void shouldDropTheGlobalHandlerWarningTheAssignorLogsAboutItsCopyOfTheConfiguration() {
        assertEquals(FilterReply.DENY, filter.decide(event(BenignKafkaLogFilter.STREAMS_CONFIG, Level.WARN,
                "Processing exception handler is not enabled for the GlobalThread. It's recommended to set "
                        + "`processing.exception.handler.global.enabled` to true to enable it.", null)));
        assertEquals(FilterReply.NEUTRAL, filter.decide(event(BenignKafkaLogFilter.STREAMS_CONFIG, Level.WARN,
                "Configuration 'x' was supplied but isn't a known config.", null)));
    }

    @Test
    void shouldLetEverythingElseFromTheSameLoggersThrough() {
        List<LoggingEvent> others = List.of(
                event(BenignKafkaLogFilter.REPLICA_MANAGER, Level.ERROR, BROKER_LINE,
                        new OutOfOrderSequenceException("Out of order sequence number for producer 2: 7 (incoming), 3 (last)")),
                event(BenignKafkaLogFilter.REPLICA_MANAGER, Level.ERROR, BROKER_LINE, new RecordTooLargeException("too large")),
                event(BenignKafkaLogFilter.REPLICA_MANAGER, Level.ERROR, BROKER_LINE, null),
                event(BenignKafkaLogFilter.PRODUCER_SENDER, Level.WARN, RETRY_LINE + "NOT_LEADER_OR_FOLLOWER", null),
                event(BenignKafkaLogFilter.PRODUCER_SENDER, Level.WARN, "[Producer clientId=x] Got error produce response "
                        + "in correlation id 5 on topic-partition dlq-0, splitting and retrying (2 attempts left). Error: "
                        + "MESSAGE_TOO_LARGE", null),
                event("org.apache.kafka.streams.processor.internals.RecordCollectorImpl", Level.ERROR,
                        RETRY_LINE + "CONCURRENT_TRANSACTIONS", FIRST_BATCH));
        others.forEach(event -> assertEquals(FilterReply.NEUTRAL, filter.decide(event), event.getFormattedMessage()));
    }

    @Test
    void shouldKeepTheBenignLinesOffTheConsoleWithTheShippedLoggingConfiguration() throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream stderr = System.err;
        System.setErr(new PrintStream(console, true, StandardCharsets.UTF_8));
        try {
            configurator.doConfigure(BenignKafkaLogFilter.class.getResource("/logback.xml"));
            Logger broker = context.getLogger(BenignKafkaLogFilter.REPLICA_MANAGER);
            Logger sender = context.getLogger(BenignKafkaLogFilter.PRODUCER_SENDER);
            broker.error(BROKER_LINE, FIRST_BATCH);
            sender.warn(RETRY_LINE + "CONCURRENT_TRANSACTIONS");
            broker.error("[ReplicaManager broker=1] Error processing append operation on partition dlq-0",
                    new RecordTooLargeException("The request included a message larger than the max message size"));
            sender.warn(RETRY_LINE + "NOT_LEADER_OR_FOLLOWER");
        } finally {
            context.stop();
            System.setErr(stderr);
        }

        List<String> lines = console.toString(StandardCharsets.UTF_8).lines()
                .filter(line -> line.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*")).toList();
        assertEquals(2, lines.size(), console.toString(StandardCharsets.UTF_8));
        assertTrue(lines.get(0).contains("Error processing append operation on partition dlq-0"), lines.get(0));
        assertTrue(lines.get(1).endsWith("Error: NOT_LEADER_OR_FOLLOWER"), lines.get(1));
    }

    private static LoggingEvent event(String logger, Level level, String message, Throwable thrown) {
        LoggerContext context = new LoggerContext();
        return new LoggingEvent(Logger.class.getName(), context.getLogger(logger), level, message, thrown, null);
    }
}
