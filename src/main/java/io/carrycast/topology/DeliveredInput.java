package io.carrycast.topology;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * For each input partition, the offset of the last record the main consumer has handed Kafka Streams. A
 * stream thread polls, then processes everything the poll delivered before it polls again; so when a task
 * processes the record at that offset, no more input is waiting for it, and a micro-batch can be stepped at
 * once instead of after a fixed wait. Kafka Streams shows a processor neither its task's buffer nor the
 * poll, so {@link DeliveredInputInterceptor}, a consumer interceptor on the main consumer, records each
 * poll here, and the processors, on the same stream thread, read it.
 *
 * <p>One instance per Kafka Streams client, passed to the interceptors and the processors through the
 * client's settings under {@link #CONFIG_KEY} ({@link #install}).
 */
public final class DeliveredInput {

    /** The settings key this instance travels under, to the consumer interceptors and the processors. */
    public static final String CONFIG_KEY = "carrycast.internal.delivered.input";

    private final Map<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();

    /** The last delivered offset of one partition; written by the stream thread that polls it. */
    static final class Partition {
        private volatile long lastDeliveredOffset = -1;

        /** Whether the record at {@code offset} is the last one the consumer has delivered. */
        boolean isLastDelivered(long offset) {
            return offset == lastDeliveredOffset;
        }
    }

    /**
     * Adds {@link DeliveredInputInterceptor} to the main consumer's interceptors (after any the settings
     * already name, for the main consumer, for all consumers or for all clients) and a new instance under
     * {@link #CONFIG_KEY}.
     *
     * @return the instance the client built from {@code properties} will use
     */
    public static DeliveredInput install(Properties properties) {
        String mainConsumerInterceptors = StreamsConfig.mainConsumerPrefix(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG);
        List<String> interceptors = new ArrayList<>();
        Object given = firstPresent(properties, mainConsumerInterceptors,
                StreamsConfig.consumerPrefix(ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG),
                ConsumerConfig.INTERCEPTOR_CLASSES_CONFIG);
        if (given instanceof List<?> list) {
            list.forEach(entry -> interceptors.add(entry instanceof Class<?> type ? type.getName() : entry.toString()));
        } else if (given != null && !given.toString().isBlank()) {
            for (String name : given.toString().split(",")) {
                interceptors.add(name.trim());
            }
        }
        interceptors.add(DeliveredInputInterceptor.class.getName());
        properties.put(mainConsumerInterceptors, String.join(",", interceptors));
        DeliveredInput delivered = new DeliveredInput();
        properties.put(CONFIG_KEY, delivered);
        return delivered;
    }

    private static Object firstPresent(Properties properties, String... names) {
        for (String name : names) {
            Object value = properties.get(name);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    /** The instance among a client's settings, or null when none was installed (as in a test driver). */
    static DeliveredInput from(Map<String, Object> settings) {
        return settings.get(CONFIG_KEY) instanceof DeliveredInput delivered ? delivered : null;
    }

    /** Records that the consumer has delivered {@code partition} up to and including {@code lastOffset}. */
    public void delivered(TopicPartition partition, long lastOffset) {
        partitionOf(partition).lastDeliveredOffset = lastOffset;
    }

    Partition partitionOf(TopicPartition partition) {
        return partitions.computeIfAbsent(partition, p -> new Partition());
    }

    /** One task's reader of this instance: it looks its input partition up once, not per record. */
    Cursor cursor() {
        return new Cursor(this);
    }

    /** Whether a task's current record is the last one the consumer delivered of its input partition. */
    static final class Cursor {
        private final DeliveredInput input;
        /** The task's input partition, as last seen, and what the consumer has delivered of it. */
        private String topic;
        private int partitionNumber;
        private Partition partition;

        private Cursor(DeliveredInput input) {
            this.input = input;
        }

        boolean isLastDelivered(RecordMetadata source) {
            if (partition == null || partitionNumber != source.partition() || !topic.equals(source.topic())) {
                topic = source.topic();
                partitionNumber = source.partition();
                partition = input.partitionOf(new TopicPartition(topic, partitionNumber));
            }
            return partition.isLastDelivered(source.offset());
        }
    }
}
