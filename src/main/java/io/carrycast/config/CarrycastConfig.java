package io.carrycast.config;

import io.carrycast.accuracy.Intervals;
import io.carrycast.bundle.InvalidModelException;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.Resampler;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.InferenceDevice;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.state.rocksdb.BoundedMemoryConfigSetter;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;

/**
 * carrycast's settings. Settings named {@code carrycast.*} are the application's own and are defined
 * once below; every other setting is a Kafka Streams (or embedded client) setting and is passed to
 * Kafka Streams as it is. Environment variables {@code CARRYCAST_*} override the file: strip the prefix,
 * lower-case, turn {@code _} into {@code .}; the result is {@code carrycast.<name>} when that is an
 * application setting, else a Kafka setting ({@code CARRYCAST_BOOTSTRAP_SERVERS} sets
 * {@code bootstrap.servers}); the launcher's own variables ({@link #LAUNCHER_VARIABLES}) are not settings.
 * Unknown names and invalid values fail with a {@link ConfigException} that names the setting, the value and
 * the rule.
 */
public final class CarrycastConfig extends AbstractConfig {

    public static final String PREFIX = "carrycast.";
    public static final String ENV_PREFIX = "CARRYCAST_";

    public static final String INPUT_TOPIC_CONFIG = "carrycast.input.topic";
    public static final String OUTPUT_TOPIC_CONFIG = "carrycast.output.topic";
    public static final String DEAD_LETTER_TOPIC_CONFIG = "carrycast.dead.letter.topic";
    public static final String MODEL_DIR_CONFIG = "carrycast.model.dir";
    public static final String KEY_FIELD_CONFIG = "carrycast.key.field";
    public static final String TIMESTAMP_FIELD_CONFIG = "carrycast.timestamp.field";
    public static final String TIMESTAMP_FORMAT_CONFIG = "carrycast.timestamp.format";
    public static final String EVENT_MAX_BYTES_CONFIG = "carrycast.event.max.bytes";
    public static final String INFERENCE_THREADS_CONFIG = "carrycast.inference.threads";
    public static final String INFERENCE_DEVICE_CONFIG = "carrycast.inference.device";
    public static final String INFERENCE_DEVICE_FALLBACK_CONFIG = "carrycast.inference.device.fallback";
    /** Prefix of CUDA execution provider options, passed through: {@code carrycast.inference.cuda.gpu_mem_limit}. */
    public static final String INFERENCE_CUDA_PREFIX = "carrycast.inference.cuda.";
    public static final String BATCH_MAX_SIZE_CONFIG = "carrycast.batch.max.size";
    public static final String BATCH_MAX_SIZE_CUDA_CONFIG = "carrycast.batch.max.size.cuda";
    public static final String BATCH_MAX_WAIT_MS_CONFIG = "carrycast.batch.max.wait.ms";
    public static final String COMMIT_LIGHT_LOAD_INTERVAL_MS_CONFIG = "carrycast.commit.light.load.interval.ms";
    /**
     * Most records a task may process in a light-load commit interval and still be at a light load: a commit then
     * writes at most this many states, a few milliseconds of the stream thread.
     */
    public static final int LIGHT_LOAD_RECORDS = 1_000;
    public static final String STATE_MAX_GAP_MS_CONFIG = "carrycast.state.max.gap.ms";
    public static final String STATE_GAP_POLICY_CONFIG = "carrycast.state.gap.policy";
    public static final String LATENESS_ALLOWED_MS_CONFIG = "carrycast.lateness.allowed.ms";
    public static final String LATENESS_HISTORY_MAX_EVENTS_CONFIG = "carrycast.lateness.history.max.events";
    public static final String RESAMPLE_GRACE_MS_CONFIG = "carrycast.resample.grace.ms";
    public static final long RESAMPLE_GRACE_MS_DEFAULT = Resampler.DEFAULT_GRACE_MS;
    public static final String MODEL_RELOAD_INTERVAL_MS_CONFIG = "carrycast.model.reload.interval.ms";
    public static final String HTTP_HOST_CONFIG = "carrycast.http.host";
    public static final String HTTP_PORT_CONFIG = "carrycast.http.port";
    public static final String HTTP_ADVERTISED_HOST_CONFIG = "carrycast.http.advertised.host";
    public static final String HTTP_TOKEN_CONFIG = "carrycast.http.token";
    public static final String HTTP_METRICS_TOKEN_REQUIRED_CONFIG = "carrycast.http.metrics.token.required";
    public static final String HTTP_SSL_KEYSTORE_LOCATION_CONFIG = "carrycast.http.ssl.keystore.location";
    public static final String HTTP_SSL_KEYSTORE_PASSWORD_CONFIG = "carrycast.http.ssl.keystore.password";
    public static final String HTTP_SSL_TRUSTSTORE_LOCATION_CONFIG = "carrycast.http.ssl.truststore.location";
    public static final String HTTP_SSL_TRUSTSTORE_PASSWORD_CONFIG = "carrycast.http.ssl.truststore.password";
    public static final String TOPICS_CREATE_CONFIG = "carrycast.topics.create";
    public static final String TOPICS_PARTITIONS_CONFIG = "carrycast.topics.partitions";
    public static final String TOPICS_REPLICATION_CONFIG = "carrycast.topics.replication.factor";
    public static final String CLUSTER_WAIT_MS_CONFIG = "carrycast.cluster.wait.ms";

    /**
     * Variables the {@code carrycast} launcher script reads itself; they share the {@code CARRYCAST_} prefix
     * but are not settings, so {@link #load} leaves them out.
     */
    public static final Set<String> LAUNCHER_VARIABLES = Set.of("CARRYCAST_JAVA_OPTS");
    public static final String ROCKSDB_MEMORY_BYTES_CONFIG = "carrycast.rocksdb.memory.bytes";
    public static final String SCORING_ENABLED_CONFIG = "carrycast.scoring.enabled";
    public static final String SCORING_TOPIC_CONFIG = "carrycast.scoring.topic";
    public static final String INTERVALS_LEVELS_CONFIG = "carrycast.intervals.levels";
    public static final String INTERVALS_WINDOW_CONFIG = "carrycast.intervals.window";
    public static final String INTERVALS_ANOMALY_LEVEL_CONFIG = "carrycast.intervals.anomaly.level";
    public static final String INTERVALS_ANOMALY_TOPIC_CONFIG = "carrycast.intervals.anomaly.topic";
    public static final String CHALLENGER_MODEL_DIR_CONFIG = "carrycast.challenger.model.dir";
    public static final String CHALLENGER_OUTPUT_TOPIC_CONFIG = "carrycast.challenger.output.topic";
    public static final String ROUTES_CONFIG = "carrycast.routes";
    /** Prefix of each declared route's own settings: {@code carrycast.route.<name>.match} and {@code .model.dir}. */
    public static final String ROUTE_PREFIX = "carrycast.route.";
    public static final String ROUTE_MATCH_SUFFIX = ".match";
    public static final String ROUTE_MODEL_DIR_SUFFIX = ".model.dir";
    public static final String ROUTE_OUTPUT_TOPIC_SUFFIX = ".output.topic";
    private static final java.util.regex.Pattern ROUTE_NAME = java.util.regex.Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    /** The smallest RocksDB memory bound accepted: below it the memtables flush almost every write. */
    static final long ROCKSDB_MEMORY_MIN_BYTES = 16L << 20;

    private static final ConfigDef DEFINITION = new ConfigDef()
            .define(INPUT_TOPIC_CONFIG, Type.STRING, "events", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Topic the events are read from.")
            .define(OUTPUT_TOPIC_CONFIG, Type.STRING, "forecasts", new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Topic the forecasts are written to, keyed by series id.")
            .define(DEAD_LETTER_TOPIC_CONFIG, Type.STRING, "carrycast-dead-letter", new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Topic that receives every event that cannot be used, with headers saying why.")
            .define(MODEL_DIR_CONFIG, Type.STRING, null, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Model bundle directory holding model.onnx and model.json. Required unless "
                            + "carrycast.routes declares routes; with routes, the default route: it forecasts the keys "
                            + "no route takes (unset: those events are dead-lettered as no_route).")
            .define(ROUTES_CONFIG, Type.LIST, "", routesValidator(), Importance.MEDIUM,
                    "Routes: names (lower-case letters, digits, '-'), tried in this order for every event; the "
                            + "first whose rule takes the event forecasts it with its own model bundle. Each route "
                            + "needs carrycast.route.<name>.match (key-prefix:<prefix>, key-regex:<regular "
                            + "expression> or field:<field>=<value>) and carrycast.route.<name>.model.dir; "
                            + "carrycast.route.<name>.output.topic gives it a topic of its own (else "
                            + "carrycast.output.topic). Empty: one model, carrycast.model.dir, for every key. See "
                            + "docs/routes.md.")
            .define(KEY_FIELD_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Event field holding the series id. Empty: the record key is the series id. When set, events "
                            + "are re-keyed by the field and repartitioned before forecasting.")
            .define(TIMESTAMP_FIELD_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Event field holding the event time. Empty: the record timestamp is the event time.")
            .define(TIMESTAMP_FORMAT_CONFIG, Type.STRING, "iso", timestampFormatValidator(), Importance.MEDIUM,
                    "Format of the timestamp field: iso (instant, date-time or date; no offset means UTC), "
                            + "epoch_millis, epoch_seconds, or a java.time DateTimeFormatter pattern.")
            .define(EVENT_MAX_BYTES_CONFIG, Type.INT, 65536, ConfigDef.Range.atLeast(16), Importance.LOW,
                    "Events larger than this many bytes (key and value together) go to the dead-letter topic unparsed.")
            .define(INFERENCE_THREADS_CONFIG, Type.INT, 1, ConfigDef.Range.between(1, 64), Importance.LOW,
                    "ONNX Runtime intra-op threads per model call. 1 suits one stream thread per core.")
            .define(INFERENCE_DEVICE_CONFIG, Type.STRING, "cpu", deviceValidator(), Importance.MEDIUM,
                    "Where models run: cpu, cuda or cuda:N (ONNX Runtime's CUDA execution provider on GPU N; needs "
                            + "the gpu build and CUDA 12 + cuDNN 9). CUDA provider options pass through as "
                            + "carrycast.inference.cuda.<option>, e.g. carrycast.inference.cuda.gpu_mem_limit.")
            .define(INFERENCE_DEVICE_FALLBACK_CONFIG, Type.STRING, "none", ConfigDef.ValidString.in("none", "cpu"),
                    Importance.MEDIUM, "When CUDA cannot be loaded: none (refuse to start) or cpu (one warning, run "
                            + "on CPU).")
            .define(BATCH_MAX_SIZE_CONFIG, Type.INT, 256, ConfigDef.Range.between(1, 65536), Importance.MEDIUM,
                    "Most events stepped in one model call on CPU. 1 steps each event as it arrives. Larger batches "
                            + "share one ONNX Runtime call across keys; a key's events are never in one call together.")
            .define(BATCH_MAX_SIZE_CUDA_CONFIG, Type.INT, 4096, ConfigDef.Range.between(1, 1 << 20), Importance.MEDIUM,
                    "Most events stepped in one model call when the model runs on CUDA, where a call costs more "
                            + "and each extra key in it less.")
            .define(BATCH_MAX_WAIT_MS_CONFIG, Type.LONG, 50L, ConfigDef.Range.between(1, 60_000), Importance.MEDIUM,
                    "Longest an accepted event waits for its batch once its task's input stops (wall clock), in "
                            + "milliseconds. A batch is stepped when it is full or when its task has processed the last "
                            + "event the consumer delivered, which at low rates is at once; this bounds the wait when "
                            + "that end is not seen: every this many ms, a task that processed no record since the "
                            + "time before steps what waits, so within two intervals of its last record.")
            .define(COMMIT_LIGHT_LOAD_INTERVAL_MS_CONFIG, Type.LONG, 1000L, ConfigDef.Range.atLeast(0),
                    Importance.LOW, "At a light load, how often (wall clock, ms) each task asks Kafka Streams to "
                            + "commit: a task that processed at most " + LIGHT_LOAD_RECORDS + " records in this "
                            + "interval requests a commit, so that each commit writes few states out of the record "
                            + "cache while the stream thread waits for it, instead of all the states made dirty "
                            + "since the last commit.interval.ms. At a higher load commits are left to "
                            + "commit.interval.ms. 0: never requested.")
            .define(STATE_MAX_GAP_MS_CONFIG, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "Longest silence of a key, in event time (ms), after which its state no longer follows on; "
                            + "the next event then starts per carrycast.state.gap.policy. 0: no limit.")
            .define(STATE_GAP_POLICY_CONFIG, Type.STRING, "reset", ConfigDef.ValidString.in("reset", "reprime"),
                    Importance.MEDIUM, "After a gap: reset (zero state) or reprime (state rebuilt by running the "
                            + "model over the key's stored window; reset when the card keeps no window).")
            .define(LATENESS_ALLOWED_MS_CONFIG, Type.LONG, 0L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "How far (event time, ms) an event may be behind its key's latest event and still be used: it "
                            + "is inserted in time order, the key's state is replayed from before it, and corrected "
                            + "forecasts (\"revision\" > 0) are published for the later events. Later than that, "
                            + "it goes to the dead-letter topic as late. With a resampling card, a late event joins "
                            + "its key's open bucket, or revises the bucket it belongs to when that was already "
                            + "stepped, and the key's later buckets are stepped again. 0: every event not after its "
                            + "key's latest is late.")
            .define(LATENESS_HISTORY_MAX_EVENTS_CONFIG, Type.INT,
                    io.carrycast.forecast.LateEvents.Bound.DEFAULT_HISTORY_EVENTS, ConfigDef.Range.between(1, 100_000),
                    Importance.LOW, "Most events each key's history holds for late events (with "
                            + "carrycast.lateness.allowed.ms > 0), and so the longest replay; a late event older "
                            + "than the history is refused as late. The history also keeps a state snapshot every "
                            + "max(1, this / 4) events. With a resampling card it holds steps (buckets and fills) "
                            + "instead of events, and this also bounds the stepped buckets kept for revision and the "
                            + "latest events kept to recognise a late redelivery.")
            .define(RESAMPLE_GRACE_MS_CONFIG, Type.LONG, RESAMPLE_GRACE_MS_DEFAULT, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "For a model card with a resample block: how far (ms) the partition's stream time must pass a "
                            + "key's open bucket's end before the bucket is stepped without waiting for the key's "
                            + "next event. Events of other keys arriving up to this much out of order still count.")
            .define(MODEL_RELOAD_INTERVAL_MS_CONFIG, Type.LONG, 10_000L, ConfigDef.Range.atLeast(0), Importance.MEDIUM,
                    "How often the model directory is checked for a new model (ms); 0 turns hot-swap off.")
            .define(HTTP_HOST_CONFIG, Type.STRING, "127.0.0.1", Importance.MEDIUM,
                    "Address the HTTP endpoint (metrics, health, forecasts) binds to. Loopback unless told otherwise.")
            .define(HTTP_PORT_CONFIG, Type.INT, 8080, ConfigDef.Range.between(-1, 65535), Importance.MEDIUM,
                    "HTTP port; 0 picks a free one, -1 turns the endpoint (and the latest-forecast store) off.")
            .define(HTTP_ADVERTISED_HOST_CONFIG, Type.STRING, "", Importance.LOW,
                    "Host other instances use to reach this one's HTTP endpoint (application.server); empty: "
                            + "the bind address, or the machine's host name when binding to all addresses.")
            .define(HTTP_TOKEN_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                    "Bearer token that /forecasts/<key> and /accuracy require in an 'Authorization: Bearer' "
                            + "header; /health never does, /metrics only with carrycast.http.metrics.token.required. "
                            + "Give it as the environment variable CARRYCAST_HTTP_TOKEN, never in the file. Never "
                            + "logged. Empty: no token required.")
            .define(HTTP_METRICS_TOKEN_REQUIRED_CONFIG, Type.BOOLEAN, false, Importance.LOW,
                    "Whether /metrics requires the token too; false leaves it open for scrapers.")
            .define(HTTP_SSL_KEYSTORE_LOCATION_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Key store (PKCS12 or JKS) with the HTTP endpoint's key and certificate; set: the endpoint "
                            + "serves HTTPS only. Empty: plain HTTP.")
            .define(HTTP_SSL_KEYSTORE_PASSWORD_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                    "Password of the key store and its key. Give it as CARRYCAST_HTTP_SSL_KEYSTORE_PASSWORD, never in the file.")
            .define(HTTP_SSL_TRUSTSTORE_LOCATION_CONFIG, Type.STRING, "", Importance.LOW,
                    "Trust store with which an instance checks the certificates of the others when it forwards a "
                            + "query over HTTPS. Empty: the JVM's default trust store.")
            .define(HTTP_SSL_TRUSTSTORE_PASSWORD_CONFIG, Type.PASSWORD, null, Importance.LOW,
                    "Password of that trust store. Give it as CARRYCAST_HTTP_SSL_TRUSTSTORE_PASSWORD.")
            .define(TOPICS_CREATE_CONFIG, Type.BOOLEAN, false, Importance.LOW,
                    "Create the input, output and dead-letter topics at start when they are missing.")
            .define(TOPICS_PARTITIONS_CONFIG, Type.INT, 6, ConfigDef.Range.atLeast(1), Importance.LOW,
                    "Partitions of topics carrycast creates; the upper bound on useful instances.")
            .define(TOPICS_REPLICATION_CONFIG, Type.SHORT, (short) -1, Importance.LOW,
                    "Replication factor of topics carrycast creates; -1 takes the broker's default.")
            .define(CLUSTER_WAIT_MS_CONFIG, Type.LONG, 60_000L, ConfigDef.Range.atLeast(1), Importance.MEDIUM,
                    "How long run waits at start for the Kafka cluster in bootstrap.servers to answer (ms). Meanwhile "
                            + "it logs every few seconds which address it cannot reach; then it stops with exit code 2.")
            .define(ROCKSDB_MEMORY_BYTES_CONFIG, Type.LONG, 256L << 20, rocksDbMemoryValidator(), Importance.MEDIUM,
                    "Off-heap memory (bytes) RocksDB may use for all of this instance's state stores together: one "
                            + "block cache with a strict capacity, holding data, index and filter blocks, with the "
                            + "memtables (at most half of it) charged to the same cache. 0: Kafka Streams' own "
                            + "defaults, a cache and memtables per store, so memory grows with the task count. "
                            + "Ignored when rocksdb.config.setter is set.")
            .define(SCORING_ENABLED_CONFIG, Type.BOOLEAN, false, Importance.MEDIUM,
                    "Score every forecast when its actual arrives: per key the forecasts still waiting are kept "
                            + "beside its state (changelogged), and each target and step's error (and persistence's) is "
                            + "counted in the carrycast_accuracy_* metrics and shown by GET /accuracy.")
            .define(SCORING_TOPIC_CONFIG, Type.STRING, "", Importance.LOW,
                    "Topic that receives one JSON record per scored forecast value (key, target time, step, target, "
                            + "forecast, actual, errors, model). Empty: none. Needs carrycast.scoring.enabled.")
            .define(INTERVALS_LEVELS_CONFIG, Type.LIST, "", intervalLevelsValidator(), Importance.MEDIUM,
                    "Coverage levels of the prediction intervals each forecast carries, comma-separated, each "
                            + "strictly between 0 and 1, ascending (e.g. 0.8,0.95). Computed per key, target and step "
                            + "from the key's last scored errors (docs/intervals.md). Empty: none. Needs "
                            + "carrycast.scoring.enabled. Must be empty to serve a quantile model, whose intervals "
                            + "come from the model.")
            .define(INTERVALS_WINDOW_CONFIG, Type.INT, Intervals.DEFAULT_WINDOW, ConfigDef.Range.between(1, 32767),
                    Importance.LOW, "Most scored errors kept per key, target and step for its intervals (4 bytes "
                            + "each in the key's state record). Longer: steadier intervals; shorter: quicker to "
                            + "follow a drift.")
            .define(INTERVALS_ANOMALY_LEVEL_CONFIG, Type.DOUBLE, 0.0, Importance.LOW,
                    "The interval level outside which an actual is an anomaly: counted in carrycast_anomalies_total "
                            + "and, with carrycast.intervals.anomaly.topic, written there. One of "
                            + "carrycast.intervals.levels, or without them one of a quantile model's levels; 0: the "
                            + "highest of them.")
            .define(INTERVALS_ANOMALY_TOPIC_CONFIG, Type.STRING, "", Importance.LOW,
                    "Topic that receives one JSON record per actual outside its forecast's interval at the anomaly "
                            + "level (key, time, actual, forecast, bounds, how far outside in half-widths). Empty: "
                            + "none. Needs carrycast.intervals.levels, or a quantile model (docs/intervals.md).")
            .define(CHALLENGER_MODEL_DIR_CONFIG, Type.STRING, "", Importance.MEDIUM,
                    "Model bundle directory of a challenger: a second model run on the same events with state "
                            + "stores of its own, writing to carrycast.challenger.output.topic and scored like the "
                            + "live model. Its failures never affect the live model's forecasts. With routes, one "
                            + "challenger forecasts every event, whichever route takes it. Empty: no challenger.")
            .define(CHALLENGER_OUTPUT_TOPIC_CONFIG, Type.STRING, "forecasts-challenger", new ConfigDef.NonEmptyString(),
                    Importance.LOW, "Topic the challenger's forecasts are written to, keyed by series id.");

    /** Prefixes under which Kafka Streams accepts client and topic settings. */
    private static final List<String> KAFKA_PREFIXES = List.of(StreamsConfig.MAIN_CONSUMER_PREFIX,
            StreamsConfig.RESTORE_CONSUMER_PREFIX, StreamsConfig.GLOBAL_CONSUMER_PREFIX,
            StreamsConfig.CONSUMER_PREFIX, StreamsConfig.PRODUCER_PREFIX, StreamsConfig.ADMIN_CLIENT_PREFIX,
            StreamsConfig.TOPIC_PREFIX);

    private final Map<String, Object> kafkaSettings;

    private final Map<String, String> cudaOptions;

    /** The declared routes' own settings, by name ({@code carrycast.route.<name>.*}). */
    private final Map<String, Object> routeSettings;

    private CarrycastConfig(Map<String, Object> appSettings, Map<String, Object> kafkaSettings) {
        super(DEFINITION, appSettings, false);
        this.kafkaSettings = kafkaSettings;
        Map<String, String> cuda = new TreeMap<>();
        appSettings.forEach((name, value) -> {
            if (name.startsWith(INFERENCE_CUDA_PREFIX)) {
                cuda.put(name.substring(INFERENCE_CUDA_PREFIX.length()), String.valueOf(value));
            }
        });
        this.cudaOptions = cuda;
        Map<String, Object> routes = new TreeMap<>();
        appSettings.forEach((name, value) -> {
            if (name.startsWith(ROUTE_PREFIX)) {
                routes.put(name, value);
            }
        });
        this.routeSettings = routes;
    }

    /** Checks every setting and splits them into carrycast's own and Kafka's. */
    public static CarrycastConfig of(Map<String, ?> settings) {
        Map<String, Object> app = new HashMap<>();
        Map<String, Object> kafka = new TreeMap<>();
        for (Map.Entry<String, ?> setting : settings.entrySet()) {
            String name = setting.getKey();
            if (name.startsWith(INFERENCE_CUDA_PREFIX) && name.length() > INFERENCE_CUDA_PREFIX.length()
                    || name.startsWith(ROUTE_PREFIX)) {
                app.put(name, setting.getValue());
            } else if (name.startsWith(PREFIX)) {
                if (!DEFINITION.names().contains(name)) {
                    throw new ConfigException(name, printable(name, setting.getValue()), "unknown carrycast setting; known: "
                            + new java.util.TreeSet<>(DEFINITION.names()));
                }
                app.put(name, setting.getValue());
            } else {
                if (!isKafkaSetting(name)) {
                    throw new ConfigException(name, printable(name, setting.getValue()), "neither a carrycast setting nor a known "
                            + "Kafka Streams, consumer, producer, admin or topic setting");
                }
                kafka.put(name, setting.getValue());
            }
        }
        CarrycastConfig config = new CarrycastConfig(app, kafka);
        config.checkModelSettings();
        new StreamsConfig(config.streamsProperties()); // fails on a Kafka setting with an invalid value
        config.checkAccuracySettings();
        return config;
    }

    private void checkModelSettings() {
        List<String> routes = getList(ROUTES_CONFIG);
        if (routes.isEmpty() && getString(MODEL_DIR_CONFIG) == null) {
            throw new ConfigException("Missing required configuration \"" + MODEL_DIR_CONFIG
                    + "\" which has no default value.");
        }
        routeSettings.forEach((name, value) -> {
            String rest = name.substring(ROUTE_PREFIX.length());
            String suffix = rest.endsWith(ROUTE_MATCH_SUFFIX) ? ROUTE_MATCH_SUFFIX
                    : rest.endsWith(ROUTE_MODEL_DIR_SUFFIX) ? ROUTE_MODEL_DIR_SUFFIX
                    : rest.endsWith(ROUTE_OUTPUT_TOPIC_SUFFIX) ? ROUTE_OUTPUT_TOPIC_SUFFIX : null;
            if (suffix == null) {
                throw new ConfigException(name, printable(name, value), "unknown route setting; a route has "
                        + ROUTE_PREFIX + "<name>" + ROUTE_MATCH_SUFFIX + ", " + ROUTE_PREFIX + "<name>"
                        + ROUTE_MODEL_DIR_SUFFIX + " and optionally " + ROUTE_PREFIX + "<name>"
                        + ROUTE_OUTPUT_TOPIC_SUFFIX);
            }
            String route = rest.substring(0, rest.length() - suffix.length());
            if (!routes.contains(route)) {
                throw new ConfigException(name, printable(name, value), "route '" + route + "' is not declared in "
                        + ROUTES_CONFIG + " (declared: " + routes + ")");
            }
        });
        routes(); // fails at start rather than at the first event: a route without its rule or model, a bad rule
    }

    /**
     * A declared route.
     *
     * @param modelDir    its model bundle directory
     * @param outputTopic the topic its forecasts go to: its own when configured, else carrycast.output.topic
     */
    public record RouteSetting(String name, io.carrycast.engine.RouteRule rule, Path modelDir, String outputTopic) {
    }

    /** The declared routes, in the order they are tried; empty when one model serves every key. */
    public List<RouteSetting> routes() {
        List<RouteSetting> routes = new java.util.ArrayList<>();
        for (String route : getList(ROUTES_CONFIG)) {
            String match = ROUTE_PREFIX + route + ROUTE_MATCH_SUFFIX;
            String dir = ROUTE_PREFIX + route + ROUTE_MODEL_DIR_SUFFIX;
            Object rule = routeSettings.get(match);
            Object modelDir = routeSettings.get(dir);
            if (rule == null || String.valueOf(rule).isBlank()) {
                throw new ConfigException(match, rule, "route '" + route + "' needs a rule: "
                        + io.carrycast.engine.RouteRule.FORMS);
            }
            if (modelDir == null || String.valueOf(modelDir).isBlank()) {
                throw new ConfigException(dir, modelDir, "route '" + route + "' needs its model bundle directory");
            }
            Object topic = routeSettings.get(ROUTE_PREFIX + route + ROUTE_OUTPUT_TOPIC_SUFFIX);
            String outputTopic = topic == null || String.valueOf(topic).isBlank() ? outputTopic()
                    : String.valueOf(topic).strip();
            try {
                routes.add(new RouteSetting(route, io.carrycast.engine.RouteRule.parse(String.valueOf(rule)),
                        Path.of(String.valueOf(modelDir).strip()), outputTopic));
            } catch (IllegalArgumentException bad) {
                throw new ConfigException(match, rule, "the rule " + bad.getMessage());
            }
        }
        return routes;
    }

    /** What picks each event's route; null when the deployment declares no routes. */
    public io.carrycast.engine.Router router() {
        List<RouteSetting> routes = routes();
        if (routes.isEmpty()) {
            return null;
        }
        return new io.carrycast.engine.Router(routes.stream()
                .map(route -> new io.carrycast.engine.Router.Route(route.name(), route.rule())).toList(),
                getString(MODEL_DIR_CONFIG) != null);
    }

    private static ConfigDef.Validator routesValidator() {
        return (name, value) -> {
            @SuppressWarnings("unchecked")
            List<String> routes = (List<String>) value;
            Set<String> seen = new HashSet<>();
            for (String route : routes) {
                if (!ROUTE_NAME.matcher(route).matches()) {
                    throw new ConfigException(name, value, "route name '" + route + "' must be 1 to 63 lower-case "
                            + "letters, digits or '-', starting with a letter or digit");
                }
                if (route.equals(io.carrycast.engine.Router.DEFAULT_ROUTE)) {
                    throw new ConfigException(name, value, "'" + route + "' is the name of the route serving "
                            + MODEL_DIR_CONFIG + "; name the route otherwise");
                }
                if (!seen.add(route)) {
                    throw new ConfigException(name, value, "route '" + route + "' is declared twice");
                }
            }
        };
    }

    private void checkAccuracySettings() {
        if (scoresTopic() != null && !scoringEnabled()) {
            throw new ConfigException(SCORING_TOPIC_CONFIG, scoresTopic(), "needs "
                    + SCORING_ENABLED_CONFIG + "=true: only scored forecasts have score records");
        }
        if (intervals().enabled() && !scoringEnabled()) {
            throw new ConfigException(INTERVALS_LEVELS_CONFIG, getList(INTERVALS_LEVELS_CONFIG), "needs "
                    + SCORING_ENABLED_CONFIG + "=true: intervals are computed from the scored errors");
        }
        // Without levels only a quantile model has intervals; the card is checked when it is loaded (requireServable).
        if (anomalyTopic() != null && !scoringEnabled()) {
            throw new ConfigException(INTERVALS_ANOMALY_TOPIC_CONFIG, anomalyTopic(), "needs "
                    + SCORING_ENABLED_CONFIG + "=true: an anomaly is a scored actual outside its forecast's interval");
        }
        double anomalyLevel = getDouble(INTERVALS_ANOMALY_LEVEL_CONFIG);
        if (anomalyLevel != 0 && intervals().enabled()
                && java.util.Arrays.stream(intervals().levels()).noneMatch(l -> l == anomalyLevel)) {
            throw new ConfigException(INTERVALS_ANOMALY_LEVEL_CONFIG, anomalyLevel, "must be one of "
                    + INTERVALS_LEVELS_CONFIG + " " + getList(INTERVALS_LEVELS_CONFIG) + ", or 0 for the highest");
        }
        if (challengerModelDir() != null && challengerOutputTopic().equals(outputTopic())) {
            throw new ConfigException(CHALLENGER_OUTPUT_TOPIC_CONFIG, challengerOutputTopic(), "must differ from "
                    + OUTPUT_TOPIC_CONFIG + ": the challenger's forecasts must not mix with the live model's");
        }
    }

    /** Reads a properties file, then applies {@code CARRYCAST_*} variables from {@code environment}. */
    public static CarrycastConfig load(Path file, Map<String, String> environment) {
        Map<String, Object> settings = new HashMap<>();
        if (file != null) {
            Properties properties = new Properties();
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new ConfigException("cannot read configuration file " + file
                        + (file.isAbsolute() ? "" : " (" + file.toAbsolutePath() + ")") + ": " + whyUnreadable(e));
            }
            properties.stringPropertyNames().forEach(name -> settings.put(name, properties.getProperty(name).trim()));
        }
        settings.putAll(fromEnvironment(environment));
        return of(settings);
    }

    /** The JDK's messages for these are only the path; a user needs the reason. */
    private static String whyUnreadable(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        } else if (e instanceof AccessDeniedException) {
            return "permission denied";
        } else if (e instanceof CharacterCodingException) {
            return "not UTF-8 text";
        } else if (e instanceof FileSystemException fileSystem && fileSystem.getReason() != null) {
            return fileSystem.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> settings = new HashMap<>();
        environment.forEach((variable, value) -> {
            if (variable.startsWith(ENV_PREFIX) && variable.length() > ENV_PREFIX.length()
                    && !LAUNCHER_VARIABLES.contains(variable)) {
                String name = variable.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
                boolean ours = DEFINITION.names().contains(PREFIX + name) || (PREFIX + name).startsWith(ROUTE_PREFIX);
                settings.put(ours ? PREFIX + name : name, value);
            }
        });
        return settings;
    }

    /** A setting's value as error messages may show it: secrets are never printed. */
    static Object printable(String name, Object value) {
        String lower = name.toLowerCase(Locale.ROOT);
        boolean secret = lower.contains("password") || lower.contains("secret") || lower.contains("jaas")
                || lower.contains("credentials") || lower.contains("token") || lower.endsWith(".key");
        return secret ? "[hidden]" : value;
    }

    private static boolean isKafkaSetting(String name) {
        for (String prefix : KAFKA_PREFIXES) {
            if (name.startsWith(prefix)) {
                return isKafkaSetting(name.substring(prefix.length()))
                        || (prefix.equals(StreamsConfig.TOPIC_PREFIX) && TOPIC_SETTINGS.contains(name.substring(prefix.length())));
            }
        }
        return StreamsConfig.configDef().names().contains(name) || ConsumerConfig.configNames().contains(name)
                || ProducerConfig.configNames().contains(name) || AdminClientConfig.configNames().contains(name);
    }

    private static final Set<String> TOPIC_SETTINGS = topicSettings();

    private static Set<String> topicSettings() {
        Set<String> names = new HashSet<>();
        for (java.lang.reflect.Field field : TopicConfig.class.getFields()) {
            if (field.getName().endsWith("_CONFIG")) {
                try {
                    names.add((String) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }

    private static ConfigDef.Validator deviceValidator() {
        return (name, value) -> {
            try {
                InferenceDevice.parse((String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        };
    }

    private static ConfigDef.Validator rocksDbMemoryValidator() {
        return (name, value) -> {
            long bytes = (Long) value;
            if (bytes != 0 && bytes < ROCKSDB_MEMORY_MIN_BYTES) {
                throw new ConfigException(name, value, "must be 0 (no bound) or at least " + ROCKSDB_MEMORY_MIN_BYTES
                        + " (16 MiB)");
            }
        };
    }

    private static ConfigDef.Validator timestampFormatValidator() {
        return (name, value) -> {
            try {
                TimestampFormat.of((String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        };
    }

    /**
     * Batch size of the application's producer unless the user sets {@code batch.size} or
     * {@code producer.batch.size}. Each event sends a forecast and (once its key's state leaves the cache) a
     * state changelog record; Kafka's 16 KB batches made the broker handle many small batches, and 256 KB
     * raised exactly-once throughput by 6-30 % (docs/benchmarks-history.md, "Levers"). A batch is filled up to
     * this size per partition written to, inside {@code buffer.memory} (32 MB).
     */
    public static final int PRODUCER_BATCH_BYTES = 256 * 1024;

    /**
     * How long the application's producer waits for a batch to fill unless the user sets {@code linger.ms}
     * or {@code producer.linger.ms}. Kafka Streams raises the producer's linger to 100 ms, which at light
     * load made every forecast wait up to 100 ms before it was sent (docs/benchmarks-history.md, section 6);
     * under full load batches fill by size long before 5 ms, so throughput does not depend on it.
     */
    public static final int PRODUCER_LINGER_MS = 5;

    /**
     * Records per poll of the main consumer for each route, unless the user sets {@code max.poll.records} (plain,
     * {@code consumer.} or {@code main.consumer.}): Kafka Streams' own default for one route. Each route's waiting
     * events are stepped by its own model calls when a task reaches the end of what a poll delivered, so a poll
     * split among n routes gives each a batch of 1/n of it; a poll of n times as many records keeps each route's
     * model calls the size of one model's (docs/routes.md, "Stores and costs").
     */
    public static final int POLL_RECORDS_PER_ROUTE = 1000;

    /**
     * The most records per poll a deployment with routes is given by default: about 4 MB of polled records per
     * stream thread at 200 bytes each, and at about 10 µs per event 0.2 s of work, far inside
     * {@code max.poll.interval.ms} (5 minutes). Kafka Streams checks commits and punctuations between rounds of
     * processing within a poll, so a larger poll does not delay them.
     */
    public static final int MAX_ROUTED_POLL_RECORDS = 20_000;

    /**
     * The settings handed to Kafka Streams: the user's, over carrycast's defaults (application id, a
     * deserialization handler that logs and continues, processing errors from every node to the dead-letter
     * topic, {@link #PRODUCER_BATCH_BYTES}, {@link #PRODUCER_LINGER_MS}, one stream thread per CPU the JVM sees
     * rather than Kafka's one per instance: the model calls and the state store run on the stream threads, and
     * one thread used one core of two (docs/benchmarks-history.md, "Levers"), and
     * {@link BoundedMemoryConfigSetter} as the RocksDB config setter when {@link #boundsRocksDbMemory()}: it
     * needs the instance's {@link io.carrycast.state.rocksdb.RocksDbMemory} in the properties under its
     * {@code CONFIG_KEY}), and with several routes {@link #POLL_RECORDS_PER_ROUTE} records per poll for each
     * (at most {@link #MAX_ROUTED_POLL_RECORDS}). The topology adds its exception handlers
     * ({@code ForecastTopology.streamsProperties}).
     */
    public Properties streamsProperties() {
        Properties properties = new Properties();
        properties.put(StreamsConfig.APPLICATION_ID_CONFIG, "carrycast");
        properties.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                LogAndContinueExceptionHandler.class.getName());
        properties.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        properties.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, deadLetterTopic());
        putProducerDefault(properties, ProducerConfig.BATCH_SIZE_CONFIG, PRODUCER_BATCH_BYTES);
        putProducerDefault(properties, ProducerConfig.LINGER_MS_CONFIG, PRODUCER_LINGER_MS);
        properties.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Runtime.getRuntime().availableProcessors());
        if (boundsRocksDbMemory()) {
            properties.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryConfigSetter.class);
        }
        io.carrycast.engine.Router router = router();
        int routeCount = router == null ? 1 : router.size();
        String pollRecords = ConsumerConfig.MAX_POLL_RECORDS_CONFIG;
        if (routeCount > 1 && !kafkaSettings.containsKey(pollRecords)
                && !kafkaSettings.containsKey(StreamsConfig.consumerPrefix(pollRecords))
                && !kafkaSettings.containsKey(StreamsConfig.mainConsumerPrefix(pollRecords))) {
            properties.put(StreamsConfig.mainConsumerPrefix(pollRecords),
                    Math.min(MAX_ROUTED_POLL_RECORDS, POLL_RECORDS_PER_ROUTE * routeCount));
        }
        properties.putAll(kafkaSettings);
        return properties;
    }

    /**
     * Sets a producer default under {@code producer.}, unless the user set it with or without the prefix: a
     * prefixed default would override the user's plain setting.
     */
    private void putProducerDefault(Properties properties, String name, Object value) {
        String prefixed = StreamsConfig.producerPrefix(name);
        if (!kafkaSettings.containsKey(name) && !kafkaSettings.containsKey(prefixed)) {
            properties.put(prefixed, value);
        }
    }

    public String inputTopic() {
        return getString(INPUT_TOPIC_CONFIG);
    }

    public String outputTopic() {
        return getString(OUTPUT_TOPIC_CONFIG);
    }

    public String deadLetterTopic() {
        return getString(DEAD_LETTER_TOPIC_CONFIG);
    }

    /** The model bundle directory: the one model, or with routes the default route's; null when routes have none. */
    public Path modelDir() {
        String dir = getString(MODEL_DIR_CONFIG);
        return dir == null ? null : Path.of(dir);
    }

    /** The key field, or null when the record key is the series id. */
    public String keyField() {
        String field = getString(KEY_FIELD_CONFIG);
        return field.isEmpty() ? null : field;
    }

    /** The timestamp field, or null when the record timestamp is the event time. */
    public String timestampField() {
        String field = getString(TIMESTAMP_FIELD_CONFIG);
        return field.isEmpty() ? null : field;
    }

    public TimestampFormat timestampFormat() {
        return TimestampFormat.of(getString(TIMESTAMP_FORMAT_CONFIG));
    }

    public int eventMaxBytes() {
        return getInt(EVENT_MAX_BYTES_CONFIG);
    }

    /** The most events per model call on the given provider ({@code CPU}, {@code CUDA:N}). */
    public int batchMaxSize(String provider) {
        return provider.startsWith("CUDA") ? getInt(BATCH_MAX_SIZE_CUDA_CONFIG) : getInt(BATCH_MAX_SIZE_CONFIG);
    }

    /** How the configured device's runners are opened. */
    public RunnerOptions runnerOptions() {
        return new RunnerOptions(getInt(INFERENCE_THREADS_CONFIG), InferenceDevice.parse(getString(INFERENCE_DEVICE_CONFIG)),
                "cpu".equals(getString(INFERENCE_DEVICE_FALLBACK_CONFIG)), cudaOptions);
    }

    public java.time.Duration lightLoadCommitInterval() {
        return java.time.Duration.ofMillis(getLong(COMMIT_LIGHT_LOAD_INTERVAL_MS_CONFIG));
    }

    public java.time.Duration batchMaxWait() {
        return java.time.Duration.ofMillis(getLong(BATCH_MAX_WAIT_MS_CONFIG));
    }

    /** What happens to a key's state after a silence; the stream and the backtest both follow it. */
    public Admission.GapRule gapRule() {
        return new Admission.GapRule(getLong(STATE_MAX_GAP_MS_CONFIG),
                "reprime".equals(getString(STATE_GAP_POLICY_CONFIG)));
    }

    public io.carrycast.forecast.LateEvents.Bound lateness() {
        return new io.carrycast.forecast.LateEvents.Bound(getLong(LATENESS_ALLOWED_MS_CONFIG),
                getInt(LATENESS_HISTORY_MAX_EVENTS_CONFIG));
    }

    /** How far stream time passes a resampled bucket's end before the bucket is stepped. */
    public java.time.Duration resampleGrace() {
        return java.time.Duration.ofMillis(getLong(RESAMPLE_GRACE_MS_CONFIG));
    }

    public java.time.Duration modelReloadInterval() {
        return java.time.Duration.ofMillis(getLong(MODEL_RELOAD_INTERVAL_MS_CONFIG));
    }

    public boolean httpEnabled() {
        return getInt(HTTP_PORT_CONFIG) >= 0;
    }

    public String httpHost() {
        return getString(HTTP_HOST_CONFIG);
    }

    public int httpPort() {
        return getInt(HTTP_PORT_CONFIG);
    }

    /**
     * The host other instances reach this one at: the advertised host; else the bind address, unless that
     * is a wildcard (as in a container), where the machine's host name is what others can resolve.
     */
    public String httpAdvertisedHost() {
        String advertised = getString(HTTP_ADVERTISED_HOST_CONFIG);
        if (!advertised.isEmpty()) {
            return advertised;
        }
        String bind = httpHost();
        if (!bind.equals("0.0.0.0") && !bind.equals("::")) {
            return bind;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            throw new ConfigException(HTTP_ADVERTISED_HOST_CONFIG, "", "must be set: the HTTP endpoint binds to "
                    + bind + " and this machine's host name cannot be resolved (" + e.getMessage() + ")");
        }
    }

    /** The HTTP bearer token, or empty when none is required. */
    public String httpToken() {
        return secret(HTTP_TOKEN_CONFIG);
    }

    public boolean httpMetricsTokenRequired() {
        return getBoolean(HTTP_METRICS_TOKEN_REQUIRED_CONFIG);
    }

    /** The HTTP endpoint's key store, or null for plain HTTP. */
    public Path httpKeyStore() {
        String location = getString(HTTP_SSL_KEYSTORE_LOCATION_CONFIG);
        return location.isEmpty() ? null : Path.of(location);
    }

    public String httpKeyStorePassword() {
        return secret(HTTP_SSL_KEYSTORE_PASSWORD_CONFIG);
    }

    /** The trust store for forwarding over HTTPS, or null for the JVM's default. */
    public Path httpTrustStore() {
        String location = getString(HTTP_SSL_TRUSTSTORE_LOCATION_CONFIG);
        return location.isEmpty() ? null : Path.of(location);
    }

    public String httpTrustStorePassword() {
        return secret(HTTP_SSL_TRUSTSTORE_PASSWORD_CONFIG);
    }

    private String secret(String name) {
        org.apache.kafka.common.config.types.Password password = getPassword(name);
        return password == null ? "" : password.value();
    }

    public boolean createTopics() {
        return getBoolean(TOPICS_CREATE_CONFIG);
    }

    public int topicPartitions() {
        return getInt(TOPICS_PARTITIONS_CONFIG);
    }

    public short topicReplicationFactor() {
        return getShort(TOPICS_REPLICATION_CONFIG);
    }

    /** How long start-up waits for the Kafka cluster to answer before giving up. */
    public java.time.Duration clusterWait() {
        return java.time.Duration.ofMillis(getLong(CLUSTER_WAIT_MS_CONFIG));
    }

    /**
     * Whether carrycast bounds RocksDB's memory: a bound is set and the user brought no
     * {@code rocksdb.config.setter} of their own.
     */
    public boolean boundsRocksDbMemory() {
        return rocksDbMemoryBytes() > 0 && !kafkaSettings.containsKey(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG);
    }

    /** The bound on all RocksDB stores' off-heap memory together, in bytes; 0 when there is none. */
    public long rocksDbMemoryBytes() {
        return getLong(ROCKSDB_MEMORY_BYTES_CONFIG);
    }

    public boolean scoringEnabled() {
        return getBoolean(SCORING_ENABLED_CONFIG);
    }

    /** The scores topic, or null when score records are not written. */
    public String scoresTopic() {
        String topic = getString(SCORING_TOPIC_CONFIG);
        return topic.isEmpty() ? null : topic;
    }

    /** The intervals forecasts carry; {@link Intervals#NONE}'s levels when none are asked for. */
    public Intervals intervals() {
        return new Intervals(getList(INTERVALS_LEVELS_CONFIG).stream().mapToDouble(level -> Double.parseDouble(level.trim())).toArray(),
                getInt(INTERVALS_WINDOW_CONFIG));
    }

    /** The anomaly topic, or null when anomaly records are not written. */
    public String anomalyTopic() {
        String topic = getString(INTERVALS_ANOMALY_TOPIC_CONFIG);
        return topic.isEmpty() ? null : topic;
    }

    /**
     * The interval level outside which an actual is an anomaly; without {@code carrycast.intervals.levels}, the
     * level of a quantile model's intervals (0: the highest of the scored value's), and NaN when nothing is scored.
     */
    public double anomalyLevel() {
        double[] levels = intervals().levels();
        double level = getDouble(INTERVALS_ANOMALY_LEVEL_CONFIG);
        if (levels.length == 0) {
            return scoringEnabled() ? level : Double.NaN;
        }
        return level == 0 ? levels[levels.length - 1] : level;
    }

    /**
     * Refuses a bundle these settings cannot serve: a quantile card beside {@code carrycast.intervals.levels}
     * ({@link Intervals#requireServable}); without levels, anomaly settings beside a card without quantiles (it has
     * no intervals), or an anomaly level that is none of the quantile card's levels.
     *
     * @throws InvalidModelException naming the card, the setting and the rule
     */
    public void requireServable(ModelBundle bundle) {
        intervals().requireServable(bundle);
        double level = getDouble(INTERVALS_ANOMALY_LEVEL_CONFIG);
        if (intervals().enabled() || (anomalyTopic() == null && level == 0)) {
            return;
        }
        Path card = bundle.directory().resolve(ModelBundle.CARD_FILE);
        double[] levels = bundle.card().intervalLevels();
        if (!bundle.card().hasQuantiles()) {
            throw new InvalidModelException(card + ": declares no quantiles, and " + INTERVALS_ANOMALY_TOPIC_CONFIG
                    + " '" + getString(INTERVALS_ANOMALY_TOPIC_CONFIG) + "' or " + INTERVALS_ANOMALY_LEVEL_CONFIG + " "
                    + level + " is set without " + INTERVALS_LEVELS_CONFIG + ": an anomaly is an actual outside an "
                    + "interval, and this model's forecasts have none");
        }
        if (level != 0 && java.util.Arrays.stream(levels).noneMatch(l -> l == level)) {
            throw new InvalidModelException(card + ": field 'targets[0].quantiles' " + bundle.card().quantiles()
                    + " gives the interval levels " + java.util.Arrays.toString(levels) + "; "
                    + INTERVALS_ANOMALY_LEVEL_CONFIG + " " + level + " must be one of them, or 0 for the highest");
        }
    }

    private static ConfigDef.Validator intervalLevelsValidator() {
        return (name, value) -> {
            @SuppressWarnings("unchecked")
            List<String> levels = (List<String>) value;
            double[] parsed = new double[levels.size()];
            for (int i = 0; i < parsed.length; i++) {
                try {
                    parsed[i] = Double.parseDouble(levels.get(i).trim());
                } catch (NumberFormatException e) {
                    throw new ConfigException(name, value, "level '" + levels.get(i) + "' is not a number");
                }
            }
            try {
                new Intervals(parsed, Intervals.DEFAULT_WINDOW);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        };
    }

    /** The challenger's bundle directory, or null when no challenger runs. */
    public Path challengerModelDir() {
        String dir = getString(CHALLENGER_MODEL_DIR_CONFIG);
        return dir.isEmpty() ? null : Path.of(dir);
    }

    public String challengerOutputTopic() {
        return getString(CHALLENGER_OUTPUT_TOPIC_CONFIG);
    }

    /** The settings table of docs/configuration.md, generated from the definitions. */
    public static String markdownTable() {
        StringBuilder table = new StringBuilder("| setting | type | default | description |\n|---|---|---|---|\n");
        for (ConfigDef.ConfigKey key : new TreeMap<>(DEFINITION.configKeys()).values()) {
            String defaultValue = !key.hasDefault() ? "(required)"
                    : key.defaultValue == null || "".equals(key.defaultValue) ? "(empty)" : "`" + key.defaultValue + "`";
            table.append("| `").append(key.name).append("` | ").append(key.type.name().toLowerCase(Locale.ROOT))
                    .append(" | ").append(defaultValue).append(" | ").append(key.documentation).append(" |\n");
        }
        return table.toString();
    }
}
