package io.carrycast.topology;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.InvalidEventException;
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
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the topology: events (JSON) from the input topic, re-keyed by a field when configured, into
 * {@link ForecastProcessor}, forecasts (JSON) to the output topic keyed by series id. A challenger model runs
 * beside the live one on the same events, with stores of its own named {@code carrycast-challenger-*}
 * ({@link StoreNames}).
 */
public final class ForecastTopology {

    /**
     * Per key: the recurrent state ({@link io.carrycast.state.KeyState}) and, in the same value
     * ({@link io.carrycast.state.StateRecord}), when the card keeps one the last W feature vectors
     * ({@link io.carrycast.state.FeatureWindow}), with {@code carrycast.lateness.allowed.ms} > 0 the recent events
     * and state snapshots that correct late events ({@link io.carrycast.state.KeyHistory}), and with scoring on
     * the forecasts waiting for their actuals ({@link io.carrycast.accuracy.WaitingForecasts}).
     */
    public static final String STATE_STORE = "carrycast-state";
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
    /** The open buckets by end time, then key ({@link BucketStores}); only when the model card resamples. */
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
        return build(config, model, null, metrics);
    }

    /**
     * The topology with a challenger beside the live model, when {@code challenger} is not null: a second node
     * built the same way, on the same events, with stores of its own ({@link StoreNames#CHALLENGER}) and its own
     * forecast topic; whatever it throws stays inside it ({@link ChallengerGuard}).
     */
    public static Topology build(CarrycastConfig config, LiveModel model, LiveModel challenger,
                                 CarrycastMetrics metrics) {
        EventReader reader = new EventReader(config.timestampField(), config.timestampFormat(),
                config.eventMaxBytes());
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));

        KStream<String, byte[]> events = builder.stream(config.inputTopic(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("events"));
        if (config.keyField() != null) {
            EventReader.Fields keyField = reader.fields(List.of(), config.keyField());
            // Counted and checked before the repartition topic, whose producer would refuse an oversize record, so
            // that an event refused by its size or by its key field counts as read too.
            events = events.peek((key, value) -> {
                        metrics.eventIn();
                        reader.checkSize(key, value);
                    }, Named.as("size-check"))
                    .selectKey((key, value) -> EventReader.keyField(reader.read(value, keyField)), Named.as("key-by-field"))
                    .repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName("by-series"));
        }
        addNode(builder, events, config, reader, model, StoreNames.LIVE, config.outputTopic(), metrics, null, metrics,
                "");
        if (challenger != null) {
            addNode(builder, events, config, reader, challenger, StoreNames.CHALLENGER, config.challengerOutputTopic(),
                    CarrycastMetrics.detached(), new ChallengerGuard(metrics), metrics, "challenger-");
        }
        return builder.build();
    }

    /**
     * One forecasting node, its stores and its output.
     *
     * @param nodeMetrics what the node counts its events and model calls into: the application's for the live
     *                    model, meters of its own for the challenger
     * @param metrics     the application's, where the node's scores are tallied
     */
    private static void addNode(StreamsBuilder builder, KStream<String, byte[]> events, CarrycastConfig config,
                                EventReader reader, LiveModel model, StoreNames names, String outputTopic,
                                CarrycastMetrics nodeMetrics, ChallengerGuard guard, CarrycastMetrics metrics,
                                String namePrefix) {
        List<String> stores = new ArrayList<>(List.of(names.state()));
        builder.addStateStore(persistentStore(names.state()));
        int maxBatch = config.batchMaxSize(model.current().runner().provider());
        if (maxBatch > 1) {
            // Persistent, not in memory: with standby replicas, an in-memory pending store on a promoted task
            // was seen to hold events its state store had already stepped (ScaleOutIT).
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(names.pending()),
                    Serdes.Long(), Serdes.ByteArray()).withCachingEnabled());
            stores.add(names.pending());
        }
        boolean keepLatest = config.httpEnabled() && guard == null;
        if (keepLatest) {
            builder.addStateStore(persistentStore(names.latest()));
            stores.add(names.latest());
        }
        if (model.current().card().resamples()) {
            builder.addStateStore(persistentStore(names.bucket()));
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(names.bucketDue()),
                    Serdes.Bytes(), Serdes.ByteArray()).withCachingEnabled());
            stores.addAll(List.of(names.bucket(), names.bucketDue()));
        }
        String scoresTopic = config.scoringEnabled() ? config.scoresTopic() : null;
        // Anomaly records are the live model's only; a challenger's anomalies are counted, not forwarded.
        String anomalyTopic = guard == null ? config.anomalyTopic() : null;
        LiveScoring.Forwards forwards = new LiveScoring.Forwards(scoresTopic != null, config.anomalyLevel(),
                anomalyTopic != null);
        ForecastProcessor.Settings settings = new ForecastProcessor.Settings(reader, maxBatch, config.batchMaxWait(),
                config.gapRule(), keepLatest, config.lateness(), config.resampleGrace(), names, config.scoringEnabled() ? metrics.accuracy() : null,
                config.intervals(), forwards, guard, config.lightLoadCommitInterval(),
                CarrycastConfig.LIGHT_LOAD_RECORDS);
        boolean checkSize = config.keyField() == null;
        KStream<String, byte[]> forecasts = events.process(() -> checkSize
                        ? new SizeChecked(reader, guard == null ? metrics : null,
                                new ForecastProcessor(model, settings, nodeMetrics))
                        : new ForecastProcessor(model, settings, nodeMetrics),
                Named.as(namePrefix + "forecast"), stores.toArray(String[]::new));
        Produced<String, byte[]> produced = Produced.with(Serdes.String(), Serdes.ByteArray())
                .withName(namePrefix + "forecasts");
        if (scoresTopic == null && anomalyTopic == null) {
            forecasts.to(outputTopic, produced);
        } else {
            forecasts.to((key, value, record) -> record.headers().lastHeader(LiveScoring.SCORE_HEADER) != null
                    ? scoresTopic : record.headers().lastHeader(LiveScoring.ANOMALY_HEADER) != null ? anomalyTopic
                    : outputTopic, produced);
        }
    }

    /**
     * The count of events read and the size check inside the forecasting node rather than in a node of its own
     * before it: a node costs every event a forward through Kafka Streams. Kafka Streams hands an event another
     * node refused to its sibling nodes still, so only the live model's node ({@code liveMetrics} set) counts an
     * event and refuses an oversize one (dead-lettered and counted once, as by the node before); a challenger's
     * passes an oversize event over without counting a failure of its own.
     */
    private record SizeChecked(EventReader reader, CarrycastMetrics liveMetrics, ForecastProcessor processor)
            implements Processor<String, byte[], String, byte[]> {
        @Override
        public void init(ProcessorContext<String, byte[]> context) {
            processor.init(context);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (liveMetrics != null) {
                liveMetrics.eventIn();
            }
            try {
                reader.checkSize(record.key(), record.value());
            } catch (InvalidEventException oversize) {
                if (liveMetrics != null) {
                    throw oversize;
                }
                return;
            }
            processor.process(record);
        }

        @Override
        public void close() {
            processor.close();
        }
    }

    private static StoreBuilder<KeyValueStore<String, byte[]>> persistentStore(String name) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled();
    }
}
