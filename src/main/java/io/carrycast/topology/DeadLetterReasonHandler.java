package io.carrycast.topology;

import io.carrycast.forecast.InvalidEventException;
import io.carrycast.metrics.CarrycastMetrics;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Kafka Streams' log-and-continue processing handler, which writes the failed event to the dead-letter
 * topic with the engine's {@code __streams.errors.*} headers, plus a {@value #REASON_HEADER} header with a
 * stable, machine-readable reason ({@code not_json}, {@code late}, ... or {@code processing_error} for
 * anything unforeseen), counted per reason in the metrics.
 */
public class DeadLetterReasonHandler extends LogAndContinueProcessingExceptionHandler {

    public static final String REASON_HEADER = "carrycast.reason";
    public static final String UNFORESEEN = "processing_error";

    private CarrycastMetrics metrics = CarrycastMetrics.detached();

    @Override
    public void configure(Map<String, ?> configs) {
        super.configure(configs);
        if (configs.get(CarrycastMetrics.CONFIG_KEY) instanceof CarrycastMetrics shared) {
            metrics = shared;
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
        String reason = exception instanceof InvalidEventException invalid ? invalid.reason().label() : UNFORESEEN;
        metrics.deadLettered(reason);
        Response response = super.handleError(context, record, exception);
        for (ProducerRecord<byte[], byte[]> deadLetter : response.deadLetterQueueRecords()) {
            deadLetter.headers().add(REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        }
        return response;
    }
}
