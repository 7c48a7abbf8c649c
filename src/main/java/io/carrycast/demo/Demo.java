package io.carrycast.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.CarrycastException;
import io.carrycast.accuracy.ActualsReader;
import io.carrycast.accuracy.Intervals;
import io.carrycast.app.CarrycastApplication;
import io.carrycast.backtest.Evaluation;
import io.carrycast.backtest.EventFile;
import io.carrycast.broker.EmbeddedKafkaBroker;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.Rollout;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.topology.ForecastSerde;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The demo: embedded broker, topics, forecaster; the weather CSV replayed as JSON events keyed by city;
 * forecasts consumed back from Kafka (read_committed) and scored on 2015 against persistence; a report.
 * Unless told otherwise, the model also rolls out a week ahead (see {@link #withRollout}), scored step by step.
 * Each forecast step carries 80 % and 95 % intervals from the city's own live errors, and actuals outside the
 * 95 % one are written to an anomaly topic.
 */
public final class Demo {

    public static final String EVENTS_TOPIC = "weather-events";
    public static final String FORECASTS_TOPIC = "weather-forecasts";
    public static final String DEAD_LETTER_TOPIC = "weather-dead-letter";
    /** Where the forecaster writes one record per forecast value it scored live. */
    public static final String SCORES_TOPIC = "weather-scores";
    /** Where the forecaster writes one record per actual outside a forecast's interval at {@link #ANOMALY_LEVEL}. */
    public static final String ANOMALIES_TOPIC = "weather-anomalies";
    /**
     * The forecaster's intervals: a year of each city's errors per step, so every season is in the window
     * (with the default 100, Seattle's 7th step covered 3.3 points over 80 % on 2015).
     */
    public static final Intervals INTERVALS = new Intervals(new double[] {0.8, 0.95}, 365);
    public static final double ANOMALY_LEVEL = 0.95;
    private static final int PARTITIONS = 4;
    private static final String KEY_FIELD = "location";
    private static final String TIME_FIELD = "date";
    private static final long SCORE_FROM = LocalDate.of(2015, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    private static final long SCORE_UNTIL = LocalDate.of(2016, 1, 1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Days rolled out past the model's next-day forecast unless the {@code demo} command is told otherwise. */
    public static final int DEFAULT_ROLLOUT_STEPS = 7;

    /**
     * What the {@code demo} command was asked for; a null csv means the bundled dataset.
     *
     * @param rolloutSteps forecast steps to roll out to when the model's card has no rollout block; 0 for none
     * @param irregular    whether each day is replayed as irregular readings that the model's card resamples
     *                     back to days ({@link IrregularWeather})
     */
    public record Options(Path csv, Path model, Path reportDir, int eventsPerSecond, boolean keepBroker, int port,
                          int rolloutSteps, boolean irregular) {
        public Options(Path csv, Path model, Path reportDir, int eventsPerSecond, boolean keepBroker, int port) {
            this(csv, model, reportDir, eventsPerSecond, keepBroker, port, DEFAULT_ROLLOUT_STEPS);
        }

        public Options(Path csv, Path model, Path reportDir, int eventsPerSecond, boolean keepBroker, int port,
                       int rolloutSteps) {
            this(csv, model, reportDir, eventsPerSecond, keepBroker, port, rolloutSteps, false);
        }
    }

    /**
     * What the demo found, from the forecasts consumed: the 2015 next-day scores per city, the scores of
     * every forecast step (the rollout's; only step 1 when the model does not roll out) with their intervals'
     * coverage and width per level, the next-day scores the forecaster computed live (from its scores topic),
     * the forecast topic's next-day scores over the days the live ones cover (all of 2015, or up to 30 December
     * with readings resampled), the forecasts themselves, the 2015 anomalies per city (from the anomaly topic),
     * and where the report is.
     */
    public record Result(List<Evaluation.Score> scores, List<Evaluation.Score> stepScores,
                         List<Evaluation.Score> liveScores, List<Evaluation.Score> liveComparedWith,
                         List<Forecast> forecasts, List<AnomalyCount> anomalies, Path html, Path png) {
        public boolean modelBeatsPersistenceEverywhere() {
            return !scores.isEmpty() && scores.stream().allMatch(Evaluation.Score::modelBeatsPersistence);
        }

        public int forecastsConsumed() {
            return forecasts.size();
        }
    }

    /**
     * One city's anomaly records with the actual's time in 2015 ({@link #ANOMALIES_TOPIC}).
     *
     * @param days    days flagged: their actual fell outside the interval of at least one forecast step
     *                that targeted them
     * @param nextDay records of the next-day (step 1) forecast: one per day at most
     * @param records records over all steps
     */
    public record AnomalyCount(String key, int days, int nextDay, int records) {
    }

    private final Options options;
    private final Supplier<String> untilStopped;

    /** A demo whose {@code --keep-broker} wait lasts until the JVM exits. */
    public Demo(Options options) {
        this(options, Demo::forever);
    }

    /**
     * @param untilStopped with {@link Options#keepBroker}: blocks until the user stops the demo and returns what
     *                     stopped it (e.g. {@code SIGINT}); the broker is closed after it returns
     */
    public Demo(Options options, Supplier<String> untilStopped) {
        this.options = options;
        this.untilStopped = untilStopped;
    }

    public Result run() throws IOException, InterruptedException {
        List<ObjectNode> days = chronological(EventFile.read(datasetPath()));
        Path workDir = Files.createTempDirectory("carrycast-demo-");
        Path model = withRollout(options.model(), workDir.resolve("model"), options.rolloutSteps());
        List<ObjectNode> events = days;
        // Each city's last day stays open when replaying readings: no later reading moves stream time past it.
        int expectedForecasts = days.size();
        if (options.irregular()) {
            model = IrregularWeather.withResample(model, workDir.resolve("model-resampled"));
            events = IrregularWeather.explode(days);
            expectedForecasts -= cities(days).size();
        }
        ModelCard card = ModelBundle.load(model).card();
        System.out.printf("carrycast demo: %d daily weather events%s, model %s v%s%n", days.size(),
                options.irregular() ? " as " + events.size() + " irregular readings, resampled back to days" : "",
                card.name(), card.version());
        if (card.rollout() != null) {
            System.out.println(describeRollout(card));
        }
        System.out.print("Starting Kafka broker ... ");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(options.port(), workDir.resolve("kafka"));
        System.out.println(broker.bootstrapServers());
        try {
            broker.createTopics(PARTITIONS, EVENTS_TOPIC, FORECASTS_TOPIC, SCORES_TOPIC, ANOMALIES_TOPIC);
            broker.createTopics(1, DEAD_LETTER_TOPIC);
            List<Forecast> forecasts;
            String endpointTable;
            try (CarrycastApplication application = CarrycastApplication.start(config(broker, workDir, model))) {
                application.awaitRunning(Duration.ofSeconds(60));
                forecasts = replayAndCollect(broker, events, expectedForecasts);
                endpointTable = LiveScores.endpointTable(application.httpPort());
            }
            List<Evaluation.Score> liveScores = LiveScores.nextDay(card, LiveScores.consume(broker.bootstrapServers(),
                    SCORES_TOPIC), SCORE_FROM, liveScoresUntil(card));
            List<AnomalyCount> anomalies = Anomalies.count(cities(days), Anomalies.consume(broker.bootstrapServers(),
                    ANOMALIES_TOPIC), SCORE_FROM, SCORE_UNTIL);
            Result result = summarise(card, days, forecasts, liveScores, anomalies);
            System.out.printf("%nThe forecaster's GET /accuracy at the end (this instance, all cities, since it started: "
                    + "the whole replay, not only 2015):%n%s", endpointTable);
            if (options.keepBroker()) {
                keepBrokerRunning(broker);
                System.out.println("Stopping the broker (" + untilStopped.get() + ").");
            }
            return result;
        } finally {
            broker.close();
            deleteQuietly(workDir);
        }
    }

    /**
     * The model to serve: the given bundle as it is when its card has a rollout block or none is asked for;
     * otherwise a copy in {@code copyDir} whose card adds one: each field feature that is also a target is
     * fed its own forecast, every other field is held at the day's value, calendar features are computed
     * for each future day.
     */
    static Path withRollout(Path model, Path copyDir, int steps) throws IOException {
        ObjectNode card = (ObjectNode) JSON.readTree(model.resolve(ModelBundle.CARD_FILE).toFile());
        if (steps <= 0 || card.has("rollout")) {
            return model;
        }
        Set<String> targets = new HashSet<>();
        card.get("targets").forEach(target -> targets.add(target.path("field").asText()));
        ObjectNode rollout = card.putObject("rollout").put("steps", steps);
        ObjectNode inputs = rollout.putObject("inputs");
        for (JsonNode feature : card.get("features")) {
            String field = feature.path("field").asText(null);
            if (field != null) {
                inputs.set(field, targets.contains(field)
                        ? JSON.createObjectNode().put("from_target", field) : inputs.textNode("hold"));
            }
        }
        Files.createDirectories(copyDir);
        Files.copy(model.resolve(ModelBundle.MODEL_FILE), copyDir.resolve(ModelBundle.MODEL_FILE));
        Files.write(copyDir.resolve(ModelBundle.CARD_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(card));
        return copyDir;
    }

    /** One line saying how the forecaster rolls out, e.g. which inputs are fed back and which are held. */
    private static String describeRollout(ModelCard card) {
        Map<Rollout.Source, List<String>> bySource = new EnumMap<>(Rollout.Source.class);
        for (int f = 0; f < card.features().size(); f++) {
            Rollout.Input input = card.rollout().inputs().get(f);
            String name = card.features().get(f).name();
            bySource.computeIfAbsent(input.source(), s -> new ArrayList<>()).add(input.source() == Rollout.Source.FROM_TARGET
                    ? name + " <- " + card.targets().get(input.target()).field() + " forecast" : name);
        }
        return String.format(Locale.ROOT, "Rollout to %d steps: fed back %s; held %s; calendar %s",
                card.rollout().steps(), bySource.getOrDefault(Rollout.Source.FROM_TARGET, List.of()),
                bySource.getOrDefault(Rollout.Source.HOLD, List.of()),
                bySource.getOrDefault(Rollout.Source.CALENDAR, List.of()));
    }

    private CarrycastConfig config(EmbeddedKafkaBroker broker, Path workDir, Path model) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, "carrycast-demo");
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, workDir.resolve("state").toString());
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, model.toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, EVENTS_TOPIC);
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, FORECASTS_TOPIC);
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, DEAD_LETTER_TOPIC);
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, TIME_FIELD);
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, 0);
        settings.put(CarrycastConfig.SCORING_ENABLED_CONFIG, true);
        settings.put(CarrycastConfig.SCORING_TOPIC_CONFIG, SCORES_TOPIC);
        settings.put(CarrycastConfig.INTERVALS_LEVELS_CONFIG, Arrays.stream(INTERVALS.levels())
                .mapToObj(Double::toString).collect(Collectors.joining(",")));
        settings.put(CarrycastConfig.INTERVALS_WINDOW_CONFIG, INTERVALS.window());
        settings.put(CarrycastConfig.INTERVALS_ANOMALY_LEVEL_CONFIG, ANOMALY_LEVEL);
        settings.put(CarrycastConfig.INTERVALS_ANOMALY_TOPIC_CONFIG, ANOMALIES_TOPIC);
        return CarrycastConfig.of(settings);
    }

    private List<Forecast> replayAndCollect(EmbeddedKafkaBroker broker, List<ObjectNode> events, int expected)
            throws InterruptedException {
        List<Forecast> forecasts = new CopyOnWriteArrayList<>();
        AtomicInteger produced = new AtomicInteger();
        Progress progress = new Progress(events.size(), produced::get, forecasts::size);
        Thread consumer = new Thread(() -> consume(broker, expected, forecasts), "demo-consumer");
        consumer.start();
        progress.start();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5),
                new StringSerializer(), new ByteArraySerializer())) {
            TimestampFormat iso = TimestampFormat.of("iso");
            long started = System.nanoTime();
            for (ObjectNode event : events) {
                long time = iso.parse(event.get(TIME_FIELD).asText());
                producer.send(new ProducerRecord<>(EVENTS_TOPIC, null, time, event.get(KEY_FIELD).asText(),
                        event.toString().getBytes(StandardCharsets.UTF_8)));
                int count = produced.incrementAndGet();
                pace(started, count);
            }
            producer.flush();
        }
        consumer.join();
        progress.finish();
        if (forecasts.size() < expected) {
            throw new CarrycastException("only " + forecasts.size() + " of " + expected
                    + " forecasts came back within " + IDLE_TIMEOUT.toSeconds() + " s of the last one");
        }
        return forecasts;
    }

    private void pace(long startedNanos, int count) throws InterruptedException {
        if (options.eventsPerSecond() <= 0) {
            return;
        }
        long dueNanos = startedNanos + count * 1_000_000_000L / options.eventsPerSecond();
        long aheadMillis = (dueNanos - System.nanoTime()) / 1_000_000;
        if (aheadMillis > 0) {
            Thread.sleep(aheadMillis);
        }
    }

    private static void consume(EmbeddedKafkaBroker broker, int expected, List<Forecast> sink) {
        try (KafkaConsumer<String, Forecast> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "carrycast-demo-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ForecastSerde().deserializer())) {
            consumer.subscribe(List.of(FORECASTS_TOPIC));
            long lastProgress = System.nanoTime();
            while (sink.size() < expected && System.nanoTime() - lastProgress < IDLE_TIMEOUT.toNanos()) {
                for (ConsumerRecord<String, Forecast> record : consumer.poll(Duration.ofMillis(200))) {
                    sink.add(record.value());
                    lastProgress = System.nanoTime();
                }
            }
        }
    }

    /**
     * Target days the live scores can cover: all of 2015, but with readings resampled the last day's bucket
     * stays open (no later reading closes it), so no forecast is scored against it live.
     */
    private static long liveScoresUntil(ModelCard card) {
        return card.resamples() ? SCORE_UNTIL - Duration.ofDays(1).toMillis() : SCORE_UNTIL;
    }

    private static List<Evaluation.Score> evaluate(ModelCard card, List<ObjectNode> events, List<Forecast> forecasts,
                                                   long until) {
        Evaluation evaluation = new Evaluation(card, t -> t >= SCORE_FROM && t < until);
        TimestampFormat iso = TimestampFormat.of("iso");
        ActualsReader actuals = ActualsReader.forCard(card);
        for (ObjectNode event : events) {
            evaluation.addActual(event.get(KEY_FIELD).asText(), iso.parse(event.get(TIME_FIELD).asText()),
                    actuals.read(event).observed());
        }
        forecasts.forEach(evaluation::addForecast);
        return evaluation.scores();
    }

    private Result summarise(ModelCard card, List<ObjectNode> events, List<Forecast> forecasts,
                             List<Evaluation.Score> liveScores, List<AnomalyCount> anomalies) throws IOException {
        List<Evaluation.Score> stepScores = evaluate(card, events, forecasts, SCORE_UNTIL);
        List<Evaluation.Score> scores = Evaluation.atStep(stepScores, 1);
        List<Evaluation.Score> liveComparedWith = liveScoresUntil(card) == SCORE_UNTIL ? scores
                : Evaluation.atStep(evaluate(card, events, forecasts, liveScoresUntil(card)), 1);

        System.out.println();
        System.out.printf("Next-day %s forecasts for 2015, from %d forecasts consumed from topic %s:%n",
                card.targets().get(0).field(), forecasts.size(), FORECASTS_TOPIC);
        System.out.print(Evaluation.table(scores));
        for (Evaluation.Score score : scores) {
            double change = 100.0 * (score.maeModel() - score.maePersistence()) / score.maePersistence();
            System.out.printf(Locale.ROOT, "%s: model MAE %.2f vs persistence %.2f (%+.1f%%) -> %s%n", score.key(),
                    score.maeModel(), score.maePersistence(), change,
                    score.modelBeatsPersistence() ? "model better" : "persistence better");
        }
        printLive(card, liveScores, liveComparedWith);
        if (card.rollout() != null) {
            System.out.printf("%n%d-step rollout, each step scored on its own (steps past 1 fed the model its own "
                    + "forecasts):%n", card.forecastSteps());
            System.out.print(Evaluation.table(stepScores));
        }
        System.out.printf(Locale.ROOT, "%nAnomalies in 2015, read from topic %s (an actual outside the %s %% interval of "
                + "a forecast that targeted it; each step's forecast can flag it):%n", ANOMALIES_TOPIC,
                DemoReport.percent(ANOMALY_LEVEL));
        System.out.print(Anomalies.table(anomalies));
        Files.createDirectories(options.reportDir());
        DemoReport report = DemoReport.of(card, events, forecasts, new DemoReport.Scores(scores, stepScores,
                liveScores, liveComparedWith, anomalies), SCORE_FROM, SCORE_UNTIL);
        Path png = report.writePng(options.reportDir().resolve("report.png"));
        Path html = report.writeHtml(options.reportDir().resolve("report.html"));
        System.out.println("Report: " + html.toAbsolutePath() + "\nChart:  " + png.toAbsolutePath());
        return new Result(scores, stepScores, liveScores, liveComparedWith, forecasts, anomalies, html, png);
    }

    private static void printLive(ModelCard card, List<Evaluation.Score> liveScores,
                                  List<Evaluation.Score> liveComparedWith) {
        if (card.resamples()) {
            System.out.printf("%nLive scores: scored by the running forecaster as each day's bucket of readings closed "
                    + "(its aggregates are the actuals), read from topic %s (next-day, target days in 2015 up to 30 "
                    + "December: the last day's bucket stays open, no later reading closes it), against the forecast "
                    + "topic's scores over the same days:%n", SCORES_TOPIC);
        } else {
            System.out.printf("%nLive scores: scored by the running forecaster as each actual arrived, read from topic %s "
                    + "(next-day, target days in 2015), against the scores above:%n", SCORES_TOPIC);
        }
        System.out.print(LiveScores.comparison(liveScores, liveComparedWith));
    }

    private static void keepBrokerRunning(EmbeddedKafkaBroker broker) {
        String bootstrap = broker.bootstrapServers();
        System.out.println();
        System.out.println("Broker still running at " + bootstrap + ". Inspect it with kcat, for example:");
        System.out.println("  kcat -b " + bootstrap + " -L");
        System.out.println("  kcat -b " + bootstrap + " -C -t " + FORECASTS_TOPIC + " -o -5 -e -f '%k %s\\n'");
        System.out.println("Stop with Ctrl-C.");
    }

    private static String forever() {
        try {
            Thread.currentThread().join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "interrupted";
    }

    private Path datasetPath() throws IOException {
        if (options.csv() != null) {
            return options.csv();
        }
        Path copy = Files.createTempFile("carrycast-weather-", ".csv");
        copy.toFile().deleteOnExit();
        try (InputStream bundled = Demo.class.getResourceAsStream("/demo/weather.csv")) {
            if (bundled == null) {
                throw new CarrycastException("the bundled dataset demo/weather.csv is missing from the classpath");
            }
            Files.copy(bundled, copy, StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    private static List<String> cities(List<ObjectNode> days) {
        return days.stream().map(day -> day.get(KEY_FIELD).asText()).distinct().sorted().toList();
    }

    /** Day by day, both cities each day: the order a live feed would deliver them in. */
    private static List<ObjectNode> chronological(List<ObjectNode> rows) {
        List<ObjectNode> events = new ArrayList<>(rows);
        events.sort(Comparator.comparing((ObjectNode e) -> e.get(TIME_FIELD).asText())
                .thenComparing(e -> e.get(KEY_FIELD).asText()));
        return events;
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not delete " + dir + ": " + e.getMessage());
        }
    }
}
