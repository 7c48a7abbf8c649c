package io.carrycast.testing;

import io.carrycast.config.CarrycastConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;

/** Fresh topics per test on the {@link KafkaBroker}, so tests share the broker but not data. */
public record Topics(String input, String output, String deadLetter) {

    /** Input and output topics with {@code partitions} partitions, and a one-partition dead-letter topic. */
    public static Topics create(String prefix, int partitions) {
        String unique = prefix.replaceAll("[^A-Za-z0-9-]", "-") + "-" + UUID.randomUUID().toString().substring(0, 8);
        Topics topics = new Topics(unique + "-events", unique + "-forecasts", unique + "-dlq");
        KafkaBroker.broker().createTopics(partitions, topics.input, topics.output);
        KafkaBroker.broker().createTopics(1, topics.deadLetter);
        return topics;
    }

    /**
     * A forecaster on the test broker over these topics: events carry their time in the field {@code time},
     * commits every 200 ms, the HTTP endpoint on a free port.
     */
    public CarrycastConfig config(Path modelDir, String guarantee, Path stateDir, String appId) {
        return config(modelDir, guarantee, stateDir, appId, Map.of());
    }

    /** As {@link #config(Path, String, Path, String)}, with {@code extraSettings} over it. */
    public CarrycastConfig config(Path modelDir, String guarantee, Path stateDir, String appId,
                                  Map<String, ?> extraSettings) {
        Map<String, Object> settings = settings(modelDir, stateDir, appId);
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        settings.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 200);
        settings.putAll(extraSettings);
        return CarrycastConfig.of(settings);
    }

    /**
     * The settings of a forecaster on the test broker over these topics, for a test to add to: events carry
     * their time in the field {@code time}, the HTTP endpoint on a free port, Kafka Streams' defaults otherwise.
     */
    public Map<String, Object> settings(Path modelDir, Path stateDir, String appId) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, modelDir.toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, input);
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, output);
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, deadLetter);
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, 0);
        return settings;
    }
}
