package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class DeliveredInputTest {

    private static final TopicPartition P0 = new TopicPartition("events", 0);
    private static final TopicPartition P1 = new TopicPartition("events", 1);

    @Test
    void shouldRecordTheLastOffsetEachPollDeliversPerPartition() {
        Properties properties = new Properties();
        DeliveredInput delivered = DeliveredInput.install(properties);
        DeliveredInputInterceptor interceptor = new DeliveredInputInterceptor();
        interceptor.configure(Map.of(DeliveredInput.CONFIG_KEY, delivered));

        ConsumerRecords<byte[], byte[]> poll = records(Map.of(P0, List.of(record(P0, 10), record(P0, 11), record(P0, 14)),
                P1, List.of(record(P1, 3))));
        assertSame(poll, interceptor.onConsume(poll), "the records pass unchanged");

        assertTrue(delivered.partitionOf(P0).isLastDelivered(14));
        assertFalse(delivered.partitionOf(P0).isLastDelivered(11));
        assertTrue(delivered.partitionOf(P1).isLastDelivered(3));

        interceptor.onConsume(records(Map.of(P1, List.of(record(P1, 4), record(P1, 5)))));
        assertTrue(delivered.partitionOf(P1).isLastDelivered(5));
        assertTrue(delivered.partitionOf(P0).isLastDelivered(14), "a partition the poll did not deliver keeps its mark");
    }

    @Test
    void shouldKeepTheInterceptorsTheSettingsAlreadyName() {
        Properties properties = new Properties();
        properties.put("consumer.interceptor.classes", "com.example.Audit, com.example.Trace");
        DeliveredInput.install(properties);
        assertEquals("com.example.Audit,com.example.Trace," + DeliveredInputInterceptor.class.getName(),
                properties.get("main.consumer.interceptor.classes"));

        Properties mainOnly = new Properties();
        mainOnly.put("main.consumer.interceptor.classes", List.of(String.class));
        DeliveredInput.install(mainOnly);
        assertEquals("java.lang.String," + DeliveredInputInterceptor.class.getName(),
                mainOnly.get("main.consumer.interceptor.classes"));
    }

    @Test
    void shouldDoNothingWithoutADeliveredInputInItsSettings() {
        DeliveredInputInterceptor interceptor = new DeliveredInputInterceptor();
        interceptor.configure(Map.of());
        ConsumerRecords<byte[], byte[]> poll = records(Map.of(P0, List.of(record(P0, 1))));
        assertSame(poll, interceptor.onConsume(poll));
        interceptor.onCommit(Map.of(P0, new OffsetAndMetadata(2)));
        interceptor.close();
    }

    private static ConsumerRecord<byte[], byte[]> record(TopicPartition partition, long offset) {
        return new ConsumerRecord<>(partition.topic(), partition.partition(), offset, new byte[0], new byte[0]);
    }

    private static ConsumerRecords<byte[], byte[]> records(Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> byPartition) {
        return new ConsumerRecords<>(byPartition, Map.of());
    }
}
