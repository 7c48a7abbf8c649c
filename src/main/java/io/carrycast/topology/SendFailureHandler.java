package io.carrycast.topology;

import io.carrycast.metrics.CarrycastMetrics;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.internals.ExceptionHandlerUtils;

/**
 * What happens when the producer cannot write a record.
 *
 * <ul>
 * <li>A dead-letter record (too large, topic missing, ...): logged, counted in
 * {@code carrycast.records.dropped}, skipped, and remembered ({@link DeadLetterFailures}: under exactly-once
 * the failed send also ends the transaction). Kafka's default handler answers a failed send with a dead-letter
 * record built from the same source event; for a failed dead-letter record that is the same record again,
 * and a record the producer refuses before sending (over {@code max.request.size}) fails inside
 * {@code KafkaProducer.send}, so {@code RecordCollectorImpl.recordSendError} and {@code send} called each
 * other until the stack overflowed. Here a failed dead letter never makes another.</li>
 * <li>A record over the producer's size limit on any other topic but a changelog (a forecast, an event
 * re-keyed by {@code carrycast.key.field}): logged, counted, skipped; under {@code at_least_once} the stream
 * goes on. Under {@code exactly_once_v2} the refused send has already doomed the transaction and the thread
 * stops: such a record's size comes from the configuration (model card, key limit), so a replay would fail
 * the same way.</li>
 * <li>Under {@code exactly_once_v2}, while a transaction a failed dead letter ended waits for its replay:
 * the other records aborted with it are let go quietly; they are written again on the replay.</li>
 * <li>Never seen here: a send refused for lack of an ACL. Kafka Streams treats authentication and
 * authorization errors as fatal before asking this handler, and the client stops
 * ({@code io.carrycast.app.KafkaAccessFailure} says which ACL to add).</li>
 * <li>Everything else, changelogs included: Kafka's default (retry what is retriable, else fail), since
 * skipping a state write would break the state's durability.</li>
 * </ul>
 */
public class SendFailureHandler extends DefaultProductionExceptionHandler {

    private static final String CHANGELOG_SUFFIX = "-changelog";

    private String deadLetterTopic;
    private boolean transactional;
    private CarrycastMetrics metrics = CarrycastMetrics.detached();
    private DeadLetterLog log = DeadLetterLog.shared();

    @Override
    public void configure(Map<String, ?> configs) {
        super.configure(configs);
        Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
        deadLetterTopic = topic == null ? null : topic.toString();
        transactional = StreamsConfig.EXACTLY_ONCE_V2.equals(String.valueOf(configs.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)));
        if (configs.get(CarrycastMetrics.CONFIG_KEY) instanceof CarrycastMetrics shared) {
            metrics = shared;
        }
        if (configs.get(DeadLetterLog.CONFIG_KEY) instanceof DeadLetterLog shared) {
            log = shared;
        }
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
        if (record.topic().equals(deadLetterTopic)) {
            String source = sourceOf(record);
            DeadLetterFailures.shared().remember(source, transactional, exception);
            metrics.recordDropped(record.topic(), exception);
            log.deadLetterNotWritten(source, record.key(), header(record, DeadLetterReasonHandler.REASON_HEADER),
                    record.topic(), exception);
            return Response.resume();
        }
        if (transactional && (DeadLetterFailures.shared().endedTransaction(exception)
                || DeadLetterFailures.shared().awaitingReplay())) {
            // Aborted with the transaction a failed dead letter ended (the producer fails the transaction's
            // other batches with that dead letter's error, possibly after the thread was replaced): written
            // again on the replay. (Kafka's default handler would build a dead letter here, from a context without a
            // record, and fail on its timestamp of -1.)
            return Response.resume();
        }
        if (exception instanceof RecordTooLargeException && !record.topic().endsWith(CHANGELOG_SUFFIX)) {
            metrics.recordDropped(record.topic(), exception);
            log.recordNotWritten(record.key(), record.topic(), exception);
            return Response.resume();
        }
        return super.handleError(context, record, exception);
    }

    /*
     * A dead letter names its event in its own headers. The error context cannot be trusted to: a send that
     * fails at the broker is reported later, on the producer's thread, when the task has moved on.
     */
    private static String sourceOf(ProducerRecord<byte[], byte[]> record) {
        String topic = header(record, ExceptionHandlerUtils.HEADER_ERRORS_TOPIC_NAME);
        String partition = header(record, ExceptionHandlerUtils.HEADER_ERRORS_PARTITION_NAME);
        String offset = header(record, ExceptionHandlerUtils.HEADER_ERRORS_OFFSET_NAME);
        return topic + "-" + partition + "@" + offset;
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
