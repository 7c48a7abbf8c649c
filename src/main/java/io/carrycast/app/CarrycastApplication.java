package io.carrycast.app;

import java.nio.file.Path;
import java.util.Map;
import java.util.HashMap;
import java.util.ArrayList;
import io.carrycast.engine.Router;
import io.carrycast.CarrycastException;
import io.carrycast.bundle.ModelCard;
import io.carrycast.cluster.ClusterProbe;
import io.carrycast.cluster.TopicSetup;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.LiveModel;
import io.carrycast.http.HttpAccess;
import io.carrycast.http.HttpEndpoint;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.state.rocksdb.RocksDbMemory;
import io.carrycast.topology.ChallengerModel;
import io.carrycast.topology.DeadLetterFailures;
import io.carrycast.topology.DeliveredInput;
import io.carrycast.topology.ForecastTopology;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running forecaster: the live model, the Kafka Streams client around the topology, the HTTP
 * endpoint, the model reload schedule and the RocksDB memory its stores share. Owns them all; {@link #close}
 * stops the reloads and Streams first (which commits and flushes the stores), then the endpoint, then
 * releases the models' and RocksDB's native memory.
 */
public final class CarrycastApplication implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CarrycastApplication.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(60);

    /** The one model, or with routes one per route in the router's order. */
    private final List<LiveModel> models;
    private final KafkaStreams streams;
    private final HttpEndpoint endpoint;
    private final ScheduledExecutorService reloads;
    private final PrometheusMeterRegistry registry;
    private final CountDownLatch stopped;
    private boolean closed;
    private boolean closedCleanly;
    private final RocksDbMemory rocksDbMemory;
    private final AtomicReference<Throwable> fatalError;
    /** Null when no challenger runs. */
    private final LiveModel challenger;

    private CarrycastApplication(List<LiveModel> models, KafkaStreams streams, HttpEndpoint endpoint,
                                 ScheduledExecutorService reloads, PrometheusMeterRegistry registry,
                                 CountDownLatch stopped, RocksDbMemory rocksDbMemory,
                                 AtomicReference<Throwable> fatalError, LiveModel challenger) {
        this.challenger = challenger;
        this.models = models;
        this.streams = streams;
        this.endpoint = endpoint;
        this.reloads = reloads;
        this.registry = registry;
        this.stopped = stopped;
        this.rocksDbMemory = rocksDbMemory;
        this.fatalError = fatalError;
    }

    /**
     * Binds the HTTP endpoint, loads and checks the model, waits for the Kafka cluster to answer (up to
     * {@link CarrycastConfig#clusterWait()}), creates topics when configured to, and starts Kafka Streams. The
     * endpoint is bound first so that a busy port fails at once, before the model's native memory is taken.
     */
    public static CarrycastApplication start(CarrycastConfig config) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        HttpEndpoint endpoint = config.httpEnabled()
                ? HttpEndpoint.start(config.httpHost(), config.httpPort(), registry, HttpAccess.of(config.httpToken(),
                        config.httpMetricsTokenRequired(), config.httpKeyStore(), config.httpKeyStorePassword(),
                        config.httpTrustStore(), config.httpTrustStorePassword())) : null;
        List<LiveModel> models = new ArrayList<>();
        LiveModel challenger = null;
        RocksDbMemory rocksDbMemory = null;
        try {
            CarrycastMetrics metrics = new CarrycastMetrics(registry);
            Router router = config.router();
            openModels(config, router, metrics, models);
            challenger = ChallengerModel.open(config, metrics);
            Properties properties = ForecastTopology.streamsProperties(config, metrics);
            DeliveredInput.install(properties);
            if (config.boundsRocksDbMemory()) {
                rocksDbMemory = new RocksDbMemory(config.rocksDbMemoryBytes());
                properties.put(RocksDbMemory.CONFIG_KEY, rocksDbMemory);
            }
            HostInfo self = null;
            if (endpoint != null) {
                self = new HostInfo(config.httpAdvertisedHost(), endpoint.port());
                properties.putIfAbsent(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
            }
            awaitCluster(config, properties);
            if (config.createTopics()) {
                createTopics(config, properties, challenger != null);
            }
            KafkaStreams streams = new KafkaStreams(router == null
                    ? ForecastTopology.build(config, models.get(0), challenger, metrics)
                    : ForecastTopology.build(config, router, models, challenger, metrics), properties);
            bindMetrics(streams, registry);
            if (endpoint != null) {
                endpoint.attach(streams, ForecastTopology.LATEST_STORE, self);
                if (config.scoringEnabled()) {
                    endpoint.attachAccuracy(metrics.accuracy());
                }
            }
            CountDownLatch stopped = new CountDownLatch(1);
            AtomicReference<Throwable> fatalError = new AtomicReference<>();
            watch(streams, stopped, fatalError);
            ScheduledExecutorService reloads = scheduleReloads(models.get(0), config.modelReloadInterval());
            // Each route's bundle is watched on its own: replacing one swaps that route's model only.
            models.subList(1, models.size()).forEach(route -> scheduleReloads(reloads, route,
                    config.modelReloadInterval()));
            if (challenger != null) {
                scheduleReloads(reloads, challenger, config.modelReloadInterval());
            }
            streams.start();
            return new CarrycastApplication(models, streams, endpoint, reloads, registry, stopped, rocksDbMemory,
                    fatalError, challenger);
        } catch (RuntimeException e) {
            closeAfterFailedStart(endpoint, rocksDbMemory, models, challenger, registry);
            throw e;
        }
    }

    /** Closes what a start that failed had opened; each may be null, not opened yet. */
    private static void closeAfterFailedStart(HttpEndpoint endpoint, RocksDbMemory rocksDbMemory, List<LiveModel> models,
                                              LiveModel challenger, PrometheusMeterRegistry registry) {
        if (endpoint != null) {
            endpoint.close();
        }
        if (rocksDbMemory != null) {
            rocksDbMemory.close();
        }
        models.forEach(LiveModel::close);
        if (challenger != null) {
            challenger.close();
        }
        registry.close();
    }

    /** Opens the one model, or one per route of {@code router} in its order, into {@code models}. */
    private static void openModels(CarrycastConfig config, Router router, CarrycastMetrics metrics,
                                   List<LiveModel> models) {
        if (router == null) {
            models.add(openModel(config, config.modelDir(), null, metrics));
            return;
        }
        Map<String, Path> dirs = new HashMap<>();
        config.routes().forEach(route -> dirs.put(route.name(), route.modelDir()));
        for (Router.Route route : router.routes()) {
            Path dir = route.rule() == null ? config.modelDir() : dirs.get(route.name());
            models.add(openModel(config, dir, route.name(), metrics));
        }
    }

    /** @param route the route it serves, or null for the one model of a deployment without routes */
    private static LiveModel openModel(CarrycastConfig config, Path dir, String route, CarrycastMetrics metrics) {
        return LiveModel.open(dir, config.runnerOptions(), config::requireServable, served -> {
            ModelCard card = served.card();
            metrics.modelServed(route, card.name(), card.version(), served.runner().bundle().fingerprintHex(),
                    served.runner().provider());
            LOG.info("Serving model {} version {} ({}, {} x{} hidden {}, fingerprint {}) from {} on {}{}", card.name(),
                    card.version(), card.mode().cardName(), card.network().cell().cardName(), card.network().layers(),
                    card.network().hidden(), served.runner().bundle().fingerprintHex(), dir,
                    served.runner().provider(), route == null ? "" : " for route " + route);
        });
    }

    private static void awaitCluster(CarrycastConfig config, Properties properties) {
        try {
            ClusterProbe.awaitReachable(new StreamsConfig(properties).getAdminConfigs("carrycast-cluster-probe"),
                    config.clusterWait());
        } catch (CarrycastException refusedOrUnreachable) {
            throw KafkaAccessFailure.explainedOr(refusedOrUnreachable, config);
        }
    }

    private static void bindMetrics(KafkaStreams streams, PrometheusMeterRegistry registry) {
        new KafkaStreamsMetrics(streams).bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        Gauge.builder("carrycast.keys.in.state", streams, CarrycastApplication::keysInState)
                .description("Keys with state in this instance's active tasks (RocksDB estimate)").register(registry);
    }

    /**
     * Logs Kafka Streams' state changes and counts {@code stopped} down when it stops; a stream thread's error goes
     * to the dead-letter failure handling, and one that shuts the client down is kept in {@code fatalError} for
     * the caller to explain ({@link KafkaAccessFailure}).
     */
    private static void watch(KafkaStreams streams, CountDownLatch stopped, AtomicReference<Throwable> fatalError) {
        streams.setStateListener((newState, oldState) -> {
            LOG.info("Kafka Streams {} -> {}", oldState, newState);
            if (newState == KafkaStreams.State.ERROR || newState == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(error -> {
            StreamThreadExceptionResponse response = DeadLetterFailures.shared().handle(error);
            if (response == StreamThreadExceptionResponse.SHUTDOWN_CLIENT) {
                fatalError.compareAndSet(null, error);
            }
            return response;
        });
    }

    private static ScheduledExecutorService scheduleReloads(LiveModel model, Duration interval) {
        ScheduledExecutorService reloads = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "carrycast-model-reload");
            thread.setDaemon(true);
            return thread;
        });
        scheduleReloads(reloads, model, interval);
        return reloads;
    }

    private static void scheduleReloads(ScheduledExecutorService reloads, LiveModel model, Duration interval) {
        if (!interval.isZero()) {
            reloads.scheduleWithFixedDelay(() -> {
                try {
                    model.reloadIfChanged();
                } catch (RuntimeException e) {
                    LOG.error("Model reload check failed; still serving the current model", e);
                }
            }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private static double keysInState(KafkaStreams streams) {
        if (streams.state() != KafkaStreams.State.RUNNING) {
            return Double.NaN;
        }
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(ForecastTopology.STATE_STORE,
                    QueryableStoreTypes.<String, byte[]>keyValueStore())).approximateNumEntries();
        } catch (RuntimeException notQueryableNow) {
            return Double.NaN;
        }
    }

    /** The Kafka Streams client, for its state and its metrics. */
    public KafkaStreams streams() {
        return streams;
    }

    /** The application's meters, those the HTTP endpoint serves at {@code /metrics}, for a program that embeds it. */
    public MeterRegistry meters() {
        return registry;
    }

    /** The HTTP endpoint's port, or -1 when it is off. */
    public int httpPort() {
        return endpoint == null ? -1 : endpoint.port();
    }

    /** The error that stopped Kafka Streams, if one did. */
    public Optional<Throwable> fatalError() {
        return Optional.ofNullable(fatalError.get());
    }

    /**
     * Waits up to {@code timeout} for Kafka Streams to stop on its own (closed, or failed).
     *
     * @return the state it stopped in, or empty when it is still running
     */
    public Optional<KafkaStreams.State> awaitStop(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS) ? Optional.of(streams.state()) : Optional.empty();
    }

    /** Waits until Streams is RUNNING; fails if it stops or errs first, or on timeout. */
    public void awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            KafkaStreams.State state = streams.state();
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING
                    || state == KafkaStreams.State.PENDING_ERROR) {
                throw new CarrycastException("Kafka Streams stopped while starting: " + state);
            }
            if (System.nanoTime() > deadline) {
                throw new CarrycastException("Kafka Streams not RUNNING after " + timeout + ": " + state);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CarrycastException("interrupted while waiting for Kafka Streams", e);
            }
        }
    }

    /** True once {@link #close} has stopped Kafka Streams within its timeout. */
    public synchronized boolean closedCleanly() {
        return closedCleanly;
    }

    /** Idempotent: a second call (a shutdown hook after the main thread closed) returns once the first is done. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        reloads.shutdownNow();
        try {
            // Leaving the group hands this instance's partitions to the others at once, instead of after the
            // session timeout: a clean stop should not pause those keys' forecasts for 45 s.
            closedCleanly = streams.close(CloseOptions.groupMembershipOperation(
                    CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(CLOSE_TIMEOUT));
            if (!closedCleanly) {
                LOG.warn("Kafka Streams did not stop within {}", CLOSE_TIMEOUT);
            }
        } finally {
            if (endpoint != null) {
                endpoint.close();
            }
            models.forEach(LiveModel::close);
            if (challenger != null) {
                challenger.close();
            }
            registry.close();
            // Only once Streams has closed its stores, which use the cache until then; a store still open
            // over a freed cache would crash the JVM, so a Streams that did not stop keeps it.
            if (rocksDbMemory != null && closedCleanly) {
                rocksDbMemory.close();
            }
        }
    }

    private static void createTopics(CarrycastConfig config, Properties properties, boolean withChallenger) {
        Optional<Short> replication = config.topicReplicationFactor() < 0
                ? Optional.empty() : Optional.of(config.topicReplicationFactor());
        List<NewTopic> topics = Stream.concat(Stream.of(config.inputTopic(), config.outputTopic(),
                                config.deadLetterTopic(), config.scoringEnabled() ? config.scoresTopic() : null,
                                config.anomalyTopic(), withChallenger ? config.challengerOutputTopic() : null),
                        config.routes().stream().map(CarrycastConfig.RouteSetting::outputTopic))
                .filter(java.util.Objects::nonNull).distinct()
                .map(name -> new NewTopic(name, Optional.of(config.topicPartitions()), replication)).toList();
        List<String> created = TopicSetup.createMissing(
                new StreamsConfig(properties).getAdminConfigs("carrycast-topic-setup"), topics);
        if (!created.isEmpty()) {
            LOG.info("Created topics {} with {} partitions", created, config.topicPartitions());
        }
    }
}
