package io.carrycast.topology;

import io.carrycast.forecast.InvalidEventException;
import io.carrycast.metrics.CarrycastMetrics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Sends every event that cannot be used to the dead-letter topic and lets the stream go on, through Kafka
 * Streams' own dead-letter queue (KIP-1034): the record is built by Kafka's own builder, so it carries the
 * event's key, value and headers and the engine's {@code __streams.errors.*} headers, plus a
 * {@value #REASON_HEADER} header with a stable, machine-readable reason ({@code not_json}, {@code late}, ...
 * or {@code processing_error} for anything unforeseen), counted per reason in the metrics.
 *
 * <p>Unlike Kafka's {@code LogAndContinueProcessingExceptionHandler}, which logs a stack trace per event, it
 * logs one rate-limited line per event ({@link DeadLetterLog}), and it cuts a value too large for the
 * producer ({@link DeadLetterRecords}): a dead-letter record the producer refuses can never be written. An
 * event whose dead letter failed before (see {@link DeadLetterFailures}) is let through without one.
 * Kafka Streams' own exceptions are not the event's fault: they fail the task instead.
 */
public class DeadLetterReasonHandler implements ProcessingExceptionHandler {

    public static final String REASON_HEADER = "carrycast.reason";
    public static final String UNFORESEEN = "processing_error";

    private String deadLetterTopic;
    private DeadLetterRecords sizes = DeadLetterRecords.forProducer(Map.of());
    private CarrycastMetrics metrics = CarrycastMetrics.detached();
    private DeadLetterLog log = DeadLetterLog.shared();

    @Override
    public void configure(Map<String, ?> configs) {
        Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        deadLetterTopic = topic == null ? null : topic.toString();
        sizes = DeadLetterRecords.forProducer(configs);
        if (configs.get(CarrycastMetrics.CONFIG_KEY) instanceof CarrycastMetrics shared) {
            metrics = shared;
        }
        if (configs.get(DeadLetterLog.CONFIG_KEY) instanceof DeadLetterLog shared) {
            log = shared;
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        if (exception instanceof StreamsException) {
            // Kafka Streams itself failed (a send in a doomed transaction, a store): not the event's fault, so
            // the event is not dead-lettered; the stream thread's exception handler decides.
            return Response.fail();
        }
        String reason = exception instanceof InvalidEventException invalid ? invalid.reason().label() : UNFORESEEN;
        String source = DeadLetterLog.source(context.topic(), context.partition(), context.offset());
        if (DeadLetterFailures.shared().failedBefore(source)) {
            log.deadLetterSkipped(source, record.key(), reason);
            return Response.resume();
        }
        metrics.deadLettered(reason);
        log.deadLettered(source, record.key(), reason, exception);
        if (deadLetterTopic == null) {
            return Response.resume();
        }
        ProducerRecord<byte[], byte[]> deadLetter = ExceptionHandlerUtils.buildDeadLetterQueueRecord(deadLetterTopic,
                context.sourceRawKey(), context.sourceRawValue(), context, exception);
        deadLetter.headers().add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        return Response.resume(List.of(sizes.fit(deadLetter)));
    }
}
