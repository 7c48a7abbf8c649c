package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.testing.Meters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Response;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.Result;
import org.apache.kafka.streams.errors.internals.DefaultErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What happens to a record the producer could not write. */
class SendFailureHandlerTest {

    private final String deadLetterTopic = "dlq-" + UUID.randomUUID();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CarrycastMetrics metrics = new CarrycastMetrics(registry);
    private final LoggerContext loggers = new LoggerContext();
    private final Logger logger = loggers.getLogger("dead-letters");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private final SendFailureHandler handler = new SendFailureHandler();
    private final ErrorHandlerContext context = new DefaultErrorHandlerContext(null, "events", 1, 40, new RecordHeaders(),
            "forecast", new TaskId(0, 1), 1_700_000_000_000L, "sensor-b".getBytes(StandardCharsets.UTF_8),
            "{}".getBytes(StandardCharsets.UTF_8));

    @BeforeEach
    void configure() {
        lines.setContext(loggers);
        lines.start();
        logger.addAppender(lines);
        logger.setLevel(Level.INFO);
        handler.configure(Map.of(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, deadLetterTopic,
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE,
                CarrycastMetrics.CONFIG_KEY, metrics,
                DeadLetterLog.CONFIG_KEY, new DeadLetterLog(logger, 10, Duration.ofSeconds(1), System::nanoTime)));
    }

    @AfterEach
    void stop() {
        loggers.stop();
    }

    @Test
    void shouldSkipCountAndLogADeadLetterTheProducerRefusesWithoutMakingAnother() {
        ProducerRecord<byte[], byte[]> deadLetter = deadLetter("events", 0, 17, "sensor-a", "too_large");

        Response response = handler.handleError(context, deadLetter, new RecordTooLargeException("The message is 2000500 "
                + "bytes when serialized which is larger than 1048576"));

        assertEquals(Result.RESUME, response.result());
        assertTrue(response.deadLetterQueueRecords().isEmpty(), "a failed dead letter never makes another");
        assertEquals(1.0, Meters.count(registry, "carrycast.records.dropped", "topic", deadLetterTopic));
        assertEquals(1, lines.list.size());
        assertEquals(Level.ERROR, lines.list.get(0).getLevel());
        assertEquals("Dead letter of events-0@17 key=sensor-a reason=too_large not written to " + deadLetterTopic
                + ": RecordTooLargeException: The message is 2000500 bytes when serialized which is larger than 1048576; "
                + "skipped (counted in carrycast_records_dropped_total)", lines.list.get(0).getFormattedMessage());
        assertNull(lines.list.get(0).getThrowableProxy());
        assertTrue(DeadLetterFailures.shared().failedBefore("events-0@17"));
    }

    @Test
    void shouldSkipAnyFailedDeadLetterWhateverTheError() {
        for (RuntimeException error : new RuntimeException[] {new TimeoutException("Topic dlq not present in metadata"),
                new TopicAuthorizationException("Not authorized to access topics: [dlq]")}) {
            Response response = handler.handleError(context, deadLetter("events", 2, 5, "sensor-a", "late"), error);
            assertEquals(Result.RESUME, response.result(), error.toString());
            assertTrue(response.deadLetterQueueRecords().isEmpty());
        }
        assertEquals(2.0, Meters.count(registry, "carrycast.records.dropped", "topic", deadLetterTopic));
    }

    @Test
    void shouldSkipAndCountAForecastOverTheSizeLimit() {
        ProducerRecord<byte[], byte[]> forecast = new ProducerRecord<>("forecasts", "sensor-b".getBytes(StandardCharsets.UTF_8),
                new byte[2_000_000]);

        Response response = handler.handleError(context, forecast, new RecordTooLargeException("too large"));

        assertEquals(Result.RESUME, response.result());
        assertTrue(response.deadLetterQueueRecords().isEmpty());
        assertEquals(1.0, Meters.count(registry, "carrycast.records.dropped", "topic", "forecasts"));
        assertEquals("Record key=sensor-b not written to forecasts: RecordTooLargeException: too large; skipped (counted "
                + "in carrycast_records_dropped_total)", lines.list.get(0).getFormattedMessage());
    }

    @Test
    void shouldKeepKafkasDefaultForStateChangelogsAndOtherErrors() {
        ProducerRecord<byte[], byte[]> changelog = new ProducerRecord<>("app-carrycast-state-changelog", new byte[1], new byte[1]);
        ProducerRecord<byte[], byte[]> forecast = new ProducerRecord<>("forecasts", new byte[1], new byte[1]);

        assertEquals(Result.FAIL, handler.handleError(context, changelog, new RecordTooLargeException("x")).result(),
                "a skipped state write would break the state's durability");
        assertEquals(Result.FAIL, handler.handleError(context, forecast,
                new TopicAuthorizationException("Not authorized")).result());
        assertEquals(Result.RETRY, handler.handleError(context, forecast, new TimeoutException("slow")).result());
        assertEquals(0.0, Meters.count(registry, "carrycast.records.dropped", "topic", "forecasts"));
    }

    private ProducerRecord<byte[], byte[]> deadLetter(String topic, int partition, long offset, String key, String reason) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("__streams.errors.topic", topic.getBytes(StandardCharsets.UTF_8));
        headers.add("__streams.errors.partition", String.valueOf(partition).getBytes(StandardCharsets.UTF_8));
        headers.add("__streams.errors.offset", String.valueOf(offset).getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetterReasonHandler.REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        return new ProducerRecord<>(deadLetterTopic, null, 1_700_000_000_000L, key.getBytes(StandardCharsets.UTF_8),
                new byte[10], headers);
    }
}
