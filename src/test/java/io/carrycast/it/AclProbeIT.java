package io.carrycast.it;

import io.carrycast.CarrycastApplication;
import io.carrycast.KafkaAccessFailure;
import io.carrycast.broker.EmbeddedKafkaBroker;
import io.carrycast.broker.TlsMaterial;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.config.RequiredAcls;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.SecuredKafkaBroker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SecuredKafkaBroker.class)
class AclProbeIT {

    @TempDir
    Path tempDir;

    @Test
    void probe() throws Exception {
        String keyField = System.getProperty("probe.keyfield", "");
        for (String guarantee : List.of(System.getProperty("probe.guarantee", StreamsConfig.EXACTLY_ONCE_V2))) {
            int n = RequiredAcls.of("User:x", config(guarantee, "x", "x", "x", "x", "x", keyField)).size();
            for (String d : System.getProperty("probe.drops", "-1").split(",")) {
                int drop = Integer.parseInt(d);
                System.out.println("PROBE " + guarantee + " key=" + keyField + " drop " + drop + ": " + run(guarantee, drop, keyField));
            }
        }
    }

    private String run(String guarantee, int drop, String keyField) throws Exception {
        EmbeddedKafkaBroker broker = SecuredKafkaBroker.broker();
        Fixture fixture = Fixture.load("lstm");
        String unique = UUID.randomUUID().toString().substring(0, 8);
        String input = "p-" + unique + "-events", output = "p-" + unique + "-forecasts", dlq = "p-" + unique + "-dlq";
        broker.createTopics(2, input, output, dlq);
        String user = "p-" + unique, password = TlsMaterial.randomSecret();
        broker.createUser(user, password);
        CarrycastConfig config = config(guarantee, user, password, input, output, dlq, keyField);
        Map<String, Object> s = new HashMap<>(broker.clientSettings(user, password));
        List<AclBinding> acls = new ArrayList<>(RequiredAcls.of("User:" + user, config));
        String dropped = drop < 0 ? "none" : acls.remove(drop).toString();
        broker.grant(acls);
        List<Fixture.Event> events = fixture.interleavedEvents();
        if (!keyField.isEmpty()) {
            events.forEach(e -> e.value().put(keyField, e.key()));
        }
        KafkaIo.produce(broker.superUserSettings(), input, events);
        try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(broker.superUserSettings(), new StringSerializer(), new ByteArraySerializer())) {
            p.send(new ProducerRecord<>(input, "bad", "not json".getBytes(StandardCharsets.UTF_8))).get();
        }
        Thread.sleep(1500);
        try (CarrycastApplication app = CarrycastApplication.start(config);
             ForecastReader reader = new ForecastReader(broker.superUserSettings(), output)) {
            int read = 0;
            long end = System.nanoTime() + 60_000_000_000L;
            while (read < events.size() && System.nanoTime() < end && app.streams().state() != org.apache.kafka.streams.KafkaStreams.State.ERROR) {
                read = reader.readUntil(events.size(), Duration.ofSeconds(1));
            }
            reader.readFor(Duration.ofSeconds(2));
            read = reader.records().size();
            int dl = countDlq(broker, dlq);
            return "dropped " + dropped + " -> forecasts " + read + "/" + events.size() + " dlq " + dl + " state " + app.streams().state()
                    + " error " + app.fatalError().map(e -> KafkaAccessFailure.explain(e, config).map(Throwable::getMessage).orElse(e.toString()) + chain(e)).orElse("-");
        }
    }

    private static String chain(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
            b.append("\n   CAUSE ").append(c.getClass().getName()).append(": ").append(c.getMessage());
        }
        return b.toString();
    }

    private int countDlq(EmbeddedKafkaBroker broker, String dlq) {
        Map<String, Object> s = new HashMap<>(broker.superUserSettings());
        s.put("group.id", "probe-" + UUID.randomUUID());
        s.put("auto.offset.reset", "earliest");
        s.put("isolation.level", "read_committed");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(s, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(dlq));
            int count = 0;
            long end = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < end) {
                count += c.poll(Duration.ofMillis(200)).count();
            }
            return count;
        }
    }

    private CarrycastConfig config(String guarantee, String user, String password, String input, String output, String dlq, String keyField) {
        EmbeddedKafkaBroker broker = SecuredKafkaBroker.broker();
        Map<String, Object> settings = new HashMap<>(broker.clientSettings(user, password));
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "probe-" + user);
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, tempDir.resolve("state-" + user).toString());
        settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, Fixture.load("lstm").directory().toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, input);
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, output);
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, dlq);
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(CarrycastConfig.KEY_FIELD_CONFIG, keyField);
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, -1);
        settings.put("num.stream.threads", 1);
        return CarrycastConfig.of(settings);
    }
}
