package io.carrycast.topology;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Records in {@link DeliveredInput} the offset of the last record each poll of the main consumer delivers
 * per partition. Changes nothing it sees. Does nothing when the client's settings carry no
 * {@link DeliveredInput}.
 */
public final class DeliveredInputInterceptor implements ConsumerInterceptor<byte[], byte[]> {

    private DeliveredInput delivered;

    @Override
    public void configure(Map<String, ?> configs) {
        delivered = configs.get(DeliveredInput.CONFIG_KEY) instanceof DeliveredInput shared ? shared : null;
    }

    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
        if (delivered != null) {
            for (TopicPartition partition : records.partitions()) {
                List<ConsumerRecord<byte[], byte[]>> polled = records.records(partition);
                if (!polled.isEmpty()) {
                    delivered.delivered(partition, polled.get(polled.size() - 1).offset());
                }
            }
        }
        return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    @Override
    public void close() {
    }
}
