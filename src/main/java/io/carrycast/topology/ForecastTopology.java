package io.carrycast.topology;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.LiveModel;
import io.carrycast.metrics.CarrycastMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the topology: events (JSON) from the input topic, re-keyed by a field when configured, into
 * {@link ForecastProcessor}, forecasts (JSON) to the output topic keyed by series id.
 */
public final class ForecastTopology {

    /** Per key: the recurrent state ({@link io.carrycast.state.KeyState}). */
    public static final String STATE_STORE = "carrycast-state";
    /**
     * Per key: the last W feature vectors ({@link io.carrycast.state.FeatureWindow}); written only when the
     * model card keeps a window.
     */
    public static final String WINDOW_STORE = "carrycast-window";
    /**
     * Accepted events waiting for the next micro-batch ({@link io.carrycast.state.PendingEvent}) in a ring of
     * maxBatch slots plus a marker ({@link PendingRing}); only when batching.
     */
    public static final String PENDING_STORE = "carrycast-pending";
    /**
     * Per key: its resampling state, the open cadence bucket's running aggregates
     * ({@link io.carrycast.state.OpenBucket}); only when the model card resamples.
     */
    public static final String BUCKET_STORE = "carrycast-bucket";
    /** The open buckets by end time, then key ({@link OpenBuckets}); only when the model card resamples. */
    public static final String BUCKET_DUE_STORE = "carrycast-bucket-due";
    /** Per key: the latest forecast's JSON, served by {@code GET /forecasts/{key}}; only with HTTP on. */
    public static final String LATEST_STORE = "carrycast-latest";

    private ForecastTopology() {
    }

    /**
     * The settings Kafka Streams runs this topology with: the configuration's
     * ({@link CarrycastConfig#streamsProperties}), with {@link DeadLetterReasonHandler} as the processing
     * exception handler and {@link SendFailureHandler} as the production exception handler unless the user
     * names others, and the metrics those handlers count into.
     */
    public static Properties streamsProperties(CarrycastConfig config, CarrycastMetrics metrics) {
        Properties properties = config.streamsProperties();
        properties.putIfAbsent(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                DeadLetterReasonHandler.class.getName());
        properties.putIfAbsent(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
                SendFailureHandler.class.getName());
        properties.put(CarrycastMetrics.CONFIG_KEY, metrics);
        return properties;
    }

    public static Topology build(CarrycastConfig config, LiveModel model, CarrycastMetrics metrics) {
        EventReader reader = new EventReader(config.timestampField(), config.timestampFormat(),
                config.eventMaxBytes());
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));
        List<String> stores = new ArrayList<>(List.of(STATE_STORE, WINDOW_STORE));
        builder.addStateStore(persistentStore(STATE_STORE));
        builder.addStateStore(persistentStore(WINDOW_STORE));
        int maxBatch = config.batchMaxSize(model.current().runner().provider());
        if (maxBatch > 1) {
            // Persistent, not in memory: with standby replicas, an in-memory pending store on a promoted task
            // was seen to hold events its state store had already stepped (ScaleOutIT).
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE),
                    Serdes.Long(), Serdes.ByteArray()).withCachingEnabled());
            stores.add(PENDING_STORE);
        }
        if (model.current().card().resamples()) {
            builder.addStateStore(persistentStore(BUCKET_STORE));
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BUCKET_DUE_STORE),
                    Serdes.Bytes(), Serdes.ByteArray()).withCachingEnabled());
            stores.addAll(List.of(BUCKET_STORE, BUCKET_DUE_STORE));
        }
        if (config.httpEnabled()) {
            builder.addStateStore(persistentStore(LATEST_STORE));
            stores.add(LATEST_STORE);
        }

        KStream<String, byte[]> events = builder.stream(config.inputTopic(),
                        Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("events"))
                .peek(reader::checkSize, Named.as("size-check"));
        if (config.keyField() != null) {
            EventReader.Fields keyField = reader.fields(List.of(), config.keyField());
            events = events
                    .selectKey((key, value) -> EventReader.keyField(reader.read(value, keyField)), Named.as("key-by-field"))
                    .repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName("by-series"));
        }
        ForecastProcessor.Settings settings = new ForecastProcessor.Settings(reader, maxBatch, config.batchMaxWait(),
                config.gapRule(), config.httpEnabled(), config.resampleGrace());
        events.process(() -> new ForecastProcessor(model, settings, metrics), Named.as("forecast"),
                        stores.toArray(String[]::new))
                .to(config.outputTopic(), Produced.with(Serdes.String(), Serdes.ByteArray()).withName("forecasts"));
        return builder.build();
    }

    private static StoreBuilder<KeyValueStore<String, byte[]>> persistentStore(String name) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled();
    }
}
