package io.carrycast.testing;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A plain Kafka producer for tests: fixture events onto a topic. ({@link ForecastReader} reads back.) */
public final class KafkaIo {

    private KafkaIo() {
    }

    public static void produce(String bootstrap, String topic, List<Fixture.Event> events) {
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new ByteArraySerializer())) {
            for (Fixture.Event event : events) {
                producer.send(new ProducerRecord<>(topic, null, event.timeMs(), event.key(), event.bytes()));
            }
            producer.flush();
        }
    }
}
