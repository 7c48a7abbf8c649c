package io.carrycast.testing;

import org.apache.kafka.streams.Topology;
import java.util.function.Function;
import java.util.ArrayList;
import io.carrycast.engine.Router;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.LiveModel;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.topology.DeadLetterLog;
import io.carrycast.state.rocksdb.RocksDbMemory;
import io.carrycast.topology.DeliveredInput;
import io.carrycast.topology.ForecastSerde;
import io.carrycast.topology.ForecastTopology;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The real topology and model in a {@link TopologyTestDriver}, its stores sharing one bounded RocksDB memory
 * as the application's do; closes the driver, then the model and the RocksDB memory.
 */
public final class ForecastDriver implements AutoCloseable {

    public static final String INPUT = "events";
    public static final String OUTPUT = "forecasts";
    public static final String DEAD_LETTER = "dead-letter";

    private final List<LiveModel> models;
    private final TopologyTestDriver driver;
    private final TestInputTopic<String, byte[]> input;
    private final TestOutputTopic<String, Forecast> output;
    private final TestOutputTopic<String, byte[]> deadLetters;
    private final MeterRegistry registry;
    private final CarrycastMetrics metrics;
    private final Duration maxWait;
    private final RocksDbMemory rocksDbMemory;
    private final DeliveredInput deliveredInput;
    /** The offset the driver gives the next input record: it numbers each partition's records from 0. */
    private long nextInputOffset;

    private ForecastDriver(List<LiveModel> models, TopologyTestDriver driver, Duration maxWait, MeterRegistry registry,
                           CarrycastMetrics metrics, DeliveredInput deliveredInput, RocksDbMemory rocksDbMemory) {
        this.rocksDbMemory = rocksDbMemory;
        this.registry = registry;
        this.maxWait = maxWait;
        this.deliveredInput = deliveredInput;
        this.metrics = metrics;
        this.deadLetters = driver.createOutputTopic(DEAD_LETTER, new StringDeserializer(), new ByteArrayDeserializer());
        this.models = models;
        this.driver = driver;
        this.input = driver.createInputTopic(INPUT, new StringSerializer(), new ByteArraySerializer());
        this.output = driver.createOutputTopic(OUTPUT, new StringDeserializer(), new ForecastSerde().deserializer());
    }

    /** A driver for the bundle in {@code modelDir}, its stores under {@code stateDir}. */
    public static ForecastDriver open(Path modelDir, Path stateDir, Map<String, String> extraSettings) {
        LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), served -> { });
        try {
            return open(live, modelDir, stateDir, extraSettings);
        } catch (RuntimeException e) {
            live.close();
            throw e;
        }
    }

    /** A driver serving a live (reloadable) model; closing the driver closes the model. */
    public static ForecastDriver open(LiveModel live, Path modelDir, Path stateDir, Map<String, String> extraSettings) {
        return open(live, null, modelDir, stateDir, extraSettings);
    }

    /**
     * A driver serving a live model and, when {@code challenger} is not null, a challenger beside it; closing the
     * driver closes the live model, not the challenger.
     */
    public static ForecastDriver open(LiveModel live, LiveModel challenger, Path modelDir, Path stateDir,
                                      Map<String, String> extraSettings) {
        Map<String, String> settings = new HashMap<>(extraSettings);
        settings.putIfAbsent(CarrycastConfig.MODEL_DIR_CONFIG, modelDir.toString());
        CarrycastConfig config = config(stateDir, settings);
        return start(config, List.of(live), metrics -> ForecastTopology.build(config, live, challenger, metrics));
    }

    /**
     * A driver for a deployment with routes, declared in {@code settings} ({@code carrycast.routes},
     * {@code carrycast.route.*} and, for a default route, {@code carrycast.model.dir}): one live model per route,
     * in the router's order ({@link #routeModels()}), closed with the driver.
     */
    public static ForecastDriver openRoutes(Path stateDir, Map<String, String> settings) {
        return openRoutes(stateDir, settings, null);
    }

    /** As {@link #openRoutes(Path, Map)}, with {@code challenger}, unless null, beside the routes (not closed here). */
    public static ForecastDriver openRoutes(Path stateDir, Map<String, String> settings, LiveModel challenger) {
        CarrycastConfig config = config(stateDir, settings);
        Router router = config.router();
        Map<String, Path> dirs = new HashMap<>();
        config.routes().forEach(route -> dirs.put(route.name(), route.modelDir()));
        List<LiveModel> models = new ArrayList<>();
        try {
            for (Router.Route route : router.routes()) {
                Path dir = route.rule() == null ? config.modelDir() : dirs.get(route.name());
                models.add(LiveModel.open(dir, RunnerOptions.defaults(), served -> { }));
            }
            return start(config, models, metrics -> ForecastTopology.build(config, router, models, challenger, metrics));
        } catch (RuntimeException e) {
            models.forEach(LiveModel::close);
            throw e;
        }
    }

    private static CarrycastConfig config(Path stateDir, Map<String, String> extraSettings) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, INPUT);
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, OUTPUT);
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, DEAD_LETTER);
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "carrycast-test");
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        settings.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, "-1");
        settings.putAll(extraSettings);
        return CarrycastConfig.of(settings);
    }

    /** @param models closed with the driver (on a failed start, left to the caller) */
    private static ForecastDriver start(CarrycastConfig config, List<LiveModel> models,
                                        Function<CarrycastMetrics, Topology> topology) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CarrycastMetrics metrics = new CarrycastMetrics(registry);
        Properties properties = ForecastTopology.streamsProperties(config, metrics);
        properties.put(DeadLetterLog.CONFIG_KEY, DeadLetterLog.create()); // a log budget of its own per test
        // The driver has no consumer, so nothing reports polls unless a test does (sendAsOnePoll).
        DeliveredInput deliveredInput = DeliveredInput.install(properties);
        RocksDbMemory rocksDbMemory = config.boundsRocksDbMemory() ? new RocksDbMemory(config.rocksDbMemoryBytes()) : null;
        if (rocksDbMemory != null) {
            properties.put(RocksDbMemory.CONFIG_KEY, rocksDbMemory);
        }
        try {
            return new ForecastDriver(models, new TopologyTestDriver(topology.apply(metrics), properties),
                    config.batchMaxWait(), registry, metrics, deliveredInput, rocksDbMemory);
        } catch (RuntimeException e) {
            if (rocksDbMemory != null) {
                rocksDbMemory.close();
            }
            throw e;
        }
    }

    /** The live models, one per route in the router's order (one for a deployment without routes). */
    public List<LiveModel> routeModels() {
        return models;
    }

    public static ForecastDriver open(Fixture fixture, Path stateDir) {
        return open(fixture.directory(), stateDir, Map.of());
    }

    public void send(Fixture.Event event) {
        sendRaw(event.key(), event.bytes(), event.timeMs());
    }

    public void send(List<Fixture.Event> events) {
        events.forEach(this::send);
    }

    public void sendRaw(String key, byte[] value, long timestampMs) {
        input.pipeInput(key, value, timestampMs);
        nextInputOffset++;
    }

    /**
     * Sends the events as a consumer's poll would deliver them: first reports that the input partition is
     * delivered up to the last of them, as the consumer interceptor does, then processes them one by one.
     */
    public void sendAsOnePoll(List<Fixture.Event> events) {
        sendAsStartOfPoll(events, 0);
    }

    /**
     * Sends the events as the first of a poll that delivered {@code more} events after them, which the processor
     * has not reached yet.
     */
    public void sendAsStartOfPoll(List<Fixture.Event> events, int more) {
        deliveredInput.delivered(new TopicPartition(INPUT, 0), nextInputOffset + events.size() + more - 1);
        send(events);
    }

    /**
     * Lets the batch wait pass with no input (flushing pending events), then reads every forecast written so far:
     * two maximum waits, since the first after the last record finds records processed since the one before.
     */
    public List<TestRecord<String, Forecast>> forecasts() {
        letTheWaitPass();
        return output.readRecordsToList();
    }

    /** As {@link #forecasts()}, each as the bytes of its key and value on the output topic. */
    public List<TestRecord<String, byte[]>> rawForecasts() {
        letTheWaitPass();
        return driver.createOutputTopic(OUTPUT, new StringDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList();
    }

    private void letTheWaitPass() {
        driver.advanceWallClockTime(maxWait);
        driver.advanceWallClockTime(maxWait);
    }

    /** Reads the forecasts written so far without letting the batch wait pass. */
    public List<TestRecord<String, Forecast>> forecastsWithoutWaiting() {
        return output.readRecordsToList();
    }

    /** Everything written to the dead-letter topic so far. */
    public List<TestRecord<String, byte[]>> deadLetters() {
        return deadLetters.readRecordsToList();
    }

    public CarrycastMetrics metrics() {
        return metrics;
    }

    /** Where the driver's meters are recorded, to read them as an operator would ({@link Meters}). */
    public MeterRegistry registry() {
        return registry;
    }

    public TopologyTestDriver driver() {
        return driver;
    }

    @Override
    public void close() {
        try {
            driver.close();
        } finally {
            models.forEach(LiveModel::close);
            if (rocksDbMemory != null) {
                rocksDbMemory.close();
            }
        }
    }
}
