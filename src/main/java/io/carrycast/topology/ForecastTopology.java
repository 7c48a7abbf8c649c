package io.carrycast.topology;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.engine.RouteStates;
import io.carrycast.engine.Router;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.LiveModel;
import io.carrycast.metrics.CarrycastMetrics;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
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
        EventReader reader = reader(config);
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));
        KStream<String, byte[]> events = events(builder, config, reader, metrics);
        addNode(builder, events, config, reader, new Node(null, List.of(model), List.of(StoreNames.LIVE), Map.of()),
                config.outputTopic(), metrics, null, metrics, "");
        addChallenger(builder, events, config, reader, challenger, metrics);
        return builder.build();
    }

    private static void addChallenger(StreamsBuilder builder, KStream<String, byte[]> events, CarrycastConfig config,
                                      EventReader reader, LiveModel challenger, CarrycastMetrics metrics) {
        if (challenger != null) {
            addNode(builder, events, config, reader, new Node(null, List.of(challenger), List.of(StoreNames.CHALLENGER), Map.of()),
                    config.challengerOutputTopic(), CarrycastMetrics.detached(), new ChallengerGuard(metrics), metrics,
                    "challenger-");
        }
    }

    /**
     * The topology of a deployment with routes ({@code carrycast.routes}): one forecasting node whose
     * {@link RoutedProcessor} hands each event to its route's model. The routes share the key-state and
     * latest-forecast stores; each declared route has a micro-batch ring of its own,
     * {@code carrycast-pending-<route>}, and, when its card resamples, bucket stores of its own; the default route
     * keeps the stores of a deployment without routes, so its waiting events and open buckets carry over. A
     * challenger, when {@code challenger} is not null, is one model beside all routes: it forecasts every event,
     * whichever route takes it, as beside a single live model.
     *
     * @param models one live model per route of {@code router}, in its order
     */
    public static Topology build(CarrycastConfig config, Router router, List<LiveModel> models, LiveModel challenger,
                                 CarrycastMetrics metrics) {
        EventReader reader = reader(config);
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));
        KStream<String, byte[]> events = events(builder, config, reader, metrics);
        List<StoreNames> stores = router.routes().stream().map(route -> StoreNames.forRoute(route.name())).toList();
        Map<String, String> topics = new HashMap<>();
        config.routes().forEach(route -> topics.put(route.name(), route.outputTopic()));
        addNode(builder, events, config, reader, new Node(router, models, stores, topics), config.outputTopic(),
                metrics, null, metrics, "");
        addChallenger(builder, events, config, reader, challenger, metrics);
        return builder.build();
    }

    private static EventReader reader(CarrycastConfig config) {
        return new EventReader(config.timestampField(), config.timestampFormat(), config.eventMaxBytes());
    }

    /** The input events, re-keyed by the key field when one is configured. */
    private static KStream<String, byte[]> events(StreamsBuilder builder, CarrycastConfig config, EventReader reader,
                                                  CarrycastMetrics metrics) {
        KStream<String, byte[]> events = builder.stream(config.inputTopic(),
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("events"));
        if (config.keyField() == null) {
            return events;
        }
        EventReader.Fields keyField = reader.fields(List.of(), config.keyField());
        // Counted and checked before the repartition topic, whose producer would refuse an oversize record, so
        // that an event refused by its size or by its key field counts as read too.
        return events.peek((key, value) -> {
                    metrics.eventIn();
                    reader.checkSize(key, value);
                }, Named.as("size-check"))
                .selectKey((key, value) -> EventReader.keyField(reader.read(value, keyField)), Named.as("key-by-field"))
                .repartition(Repartitioned.with(Serdes.String(), Serdes.ByteArray()).withName("by-series"));
    }

    /**
     * A forecasting node's models and stores.
     *
     * @param router null for one model; else what picks each event's route among {@code models}
     * @param stores per model, its stores
     * @param topics  per route, the topic its forecasts go to (the node's output topic when not named)
     */
    private record Node(Router router, List<LiveModel> models, List<StoreNames> stores, Map<String, String> topics) {
    }

    /**
     * One forecasting node, its stores and its output.
     *
     * @param nodeMetrics what the node counts its events and model calls into: the application's for the live
     *                    model, meters of its own for the challenger
     * @param metrics     the application's, where the node's scores are tallied
     */
    private static void addNode(StreamsBuilder builder, KStream<String, byte[]> events, CarrycastConfig config,
                                EventReader reader, Node node, String outputTopic, CarrycastMetrics nodeMetrics,
                                ChallengerGuard guard, CarrycastMetrics metrics, String namePrefix) {
        Set<String> stores = new LinkedHashSet<>();
        RouteStates states = node.router() == null ? null : new RouteStates();
        List<ForecastProcessor.Settings> settings = new ArrayList<>();
        for (int r = 0; r < node.models().size(); r++) {
            settings.add(addStores(builder, stores, config, reader, node.models().get(r), node.stores().get(r), guard,
                    metrics, states == null ? null : states.forRoute(r, node.router().routes().get(r).name())));
        }
        boolean checkSize = config.keyField() == null;
        KStream<String, byte[]> forecasts = events.process(() -> {
            Processor<String, byte[], String, byte[]> processor = processor(node, reader, settings, nodeMetrics);
            return checkSize ? new SizeChecked(reader, guard == null ? metrics : null, processor) : processor;
        }, Named.as(namePrefix + "forecast"), stores.toArray(String[]::new));
        Produced<String, byte[]> produced = Produced.with(Serdes.String(), Serdes.ByteArray())
                .withName(namePrefix + "forecasts");
        String scoresTopic = config.scoringEnabled() ? config.scoresTopic() : null;
        String anomalyTopic = guard == null ? config.anomalyTopic() : null;
        boolean topicPerRoute = node.topics().values().stream().anyMatch(topic -> !topic.equals(outputTopic));
        if (scoresTopic == null && anomalyTopic == null && !topicPerRoute) {
            forecasts.to(outputTopic, produced);
        } else {
            forecasts.to((key, value, record) -> record.headers().lastHeader(LiveScoring.SCORE_HEADER) != null
                    ? scoresTopic : record.headers().lastHeader(LiveScoring.ANOMALY_HEADER) != null ? anomalyTopic
                    : topicOf(record.headers(), node.topics(), outputTopic), produced);
        }
    }

    /** A forecast's topic: its route's own, named by its {@link ForecastOutput#ROUTE_HEADER}, else the node's. */
    private static String topicOf(Headers headers, Map<String, String> topics, String outputTopic) {
        Header route = headers.lastHeader(ForecastOutput.ROUTE_HEADER);
        return route == null ? outputTopic
                : topics.getOrDefault(new String(route.value(), StandardCharsets.UTF_8), outputTopic);
    }

    private static Processor<String, byte[], String, byte[]> processor(Node node, EventReader reader,
            List<ForecastProcessor.Settings> settings, CarrycastMetrics nodeMetrics) {
        if (node.router() == null) {
            return new ForecastProcessor(node.models().get(0), settings.get(0), nodeMetrics);
        }
        List<ForecastProcessor> routes = new ArrayList<>(settings.size());
        for (int r = 0; r < settings.size(); r++) {
            routes.add(new ForecastProcessor(node.models().get(r), settings.get(r), nodeMetrics));
        }
        return new RoutedProcessor(node.router(), reader, routes, nodeMetrics);
    }

    /**
     * Adds the stores one model needs that are not added yet ({@code added}) and returns its processor's settings.
     *
     * @param origin for one route of several, which route wrote a key's state; else null
     */
    private static ForecastProcessor.Settings addStores(StreamsBuilder builder, Set<String> added,
            CarrycastConfig config, EventReader reader, LiveModel model, StoreNames names, ChallengerGuard guard,
            CarrycastMetrics metrics, RouteStates.Origin origin) {
        if (added.add(names.state())) {
            builder.addStateStore(persistentStore(names.state()));
        }
        int maxBatch = config.batchMaxSize(model.current().runner().provider());
        if (maxBatch > 1 && added.add(names.pending())) {
            // Persistent, not in memory: with standby replicas, an in-memory pending store on a promoted task
            // was seen to hold events its state store had already stepped (ScaleOutIT).
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(names.pending()),
                    Serdes.Long(), Serdes.ByteArray()).withCachingEnabled());
        }
        boolean keepLatest = config.httpEnabled() && guard == null;
        if (keepLatest && added.add(names.latest())) {
            builder.addStateStore(persistentStore(names.latest()));
        }
        if (model.current().card().resamples() && added.add(names.bucket())) {
            builder.addStateStore(persistentStore(names.bucket()));
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(names.bucketDue()),
                    Serdes.Bytes(), Serdes.ByteArray()).withCachingEnabled());
            added.add(names.bucketDue());
        }
        String scoresTopic = config.scoringEnabled() ? config.scoresTopic() : null;
        // Anomaly records are the live model's only; a challenger's anomalies are counted, not forwarded.
        String anomalyTopic = guard == null ? config.anomalyTopic() : null;
        LiveScoring.Forwards forwards = new LiveScoring.Forwards(scoresTopic != null, config.anomalyLevel(),
                anomalyTopic != null);
        return new ForecastProcessor.Settings(reader, maxBatch, config.batchMaxWait(), config.gapRule(), keepLatest,
                config.lateness(), config.resampleGrace(), names, config.scoringEnabled() ? metrics.accuracy() : null,
                config.intervals(), forwards, guard, config.lightLoadCommitInterval(),
                CarrycastConfig.LIGHT_LOAD_RECORDS, origin);
    }

    /**
     * The count of events read and the size check inside the forecasting node rather than in a node of its own
     * before it: a node costs every event a forward through Kafka Streams. Kafka Streams hands an event another
     * node refused to its sibling nodes still, so only the live model's node ({@code liveMetrics} set) counts an
     * event and refuses an oversize one (dead-lettered and counted once, as by the node before); a challenger's
     * passes an oversize event over without counting a failure of its own.
     */
    private record SizeChecked(EventReader reader, CarrycastMetrics liveMetrics,
                               Processor<String, byte[], String, byte[]> processor)
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
