package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.app.CarrycastApplication;
import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.InstanceHttp;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.ReferenceScores;
import io.carrycast.testing.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Live scoring across a restart on a real broker: forecasts made before the stop are scored by actuals that
 * arrive after it, from the waiting forecasts kept in each key's state record (its local copy, or its changelog
 * when the local state is wiped), exactly as the definition scores them.
 */
@ExtendWith(KafkaBroker.class)
class LiveScoringRestartIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(90);
    private static final List<String> TARGETS = List.of("load", "temperature");

    @TempDir
    Path tempDir;

    @ParameterizedTest(name = "wipe local state: {0}")
    @ValueSource(booleans = {false, true})
    void shouldScoreForecastsMadeBeforeARestartWithActualsArrivingAfterIt(boolean wipeLocalState) throws Exception {
        Fixture fixture = Fixture.load("lstm_multi");
        List<Fixture.Event> events = fixture.interleavedEvents();
        int half = events.size() / 2;
        Topics topics = Topics.create("scores-restart-" + wipeLocalState, 2);
        String scoresTopic = topics.output() + "-scores";
        KafkaBroker.broker().createTopics(2, scoresTopic);
        Path stateDir = tempDir.resolve("state");
        CarrycastConfig config = topics.config(fixture.directory(), StreamsConfig.EXACTLY_ONCE_V2, stateDir,
                "app-" + UUID.randomUUID(), Map.of(CarrycastConfig.SCORING_ENABLED_CONFIG, true,
                        CarrycastConfig.SCORING_TOPIC_CONFIG, scoresTopic));

        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events.subList(0, half));
        try (CarrycastApplication app = CarrycastApplication.start(config)) {
            assertEquals(half, ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), half, TIMEOUT,
                    Duration.ZERO).size());
        }
        if (wipeLocalState) {
            try (var paths = Files.walk(stateDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        List<Fixture.Event> after = events.subList(half, events.size());
        KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), after);
        List<Forecast> forecasts = new ArrayList<>();
        Map<String, Score> scores;
        JsonNode accuracy;
        try (CarrycastApplication app = CarrycastApplication.start(config)) {
            ForecastReader.readAll(KafkaBroker.bootstrapServers(), topics.output(), events.size(), TIMEOUT,
                    Duration.ofSeconds(2)).forEach(record -> forecasts.add(record.value()));
            int due = ReferenceScores.of(events, forecasts, TARGETS).size();
            scores = readScores(scoresTopic, due);
            accuracy = new ObjectMapper().readTree(InstanceHttp.get(app.httpPort(), "/accuracy").body());
        }

        List<Score> expected = ReferenceScores.of(events, forecasts, TARGETS);
        assertEquals(expected.size(), scores.size(), "every forecast value with an actual scored once");
        for (Score want : expected) {
            assertEquals(want, scores.get(ReferenceScores.keyOf(want)), ReferenceScores.keyOf(want));
        }
        // The second instance scored, since it started, exactly the values whose actuals it read.
        Set<String> readAfter = new HashSet<>();
        after.forEach(event -> readAfter.add(event.key() + "@" + event.timeMs()));
        long dueAfter = expected.stream().filter(s -> s.step() == 1 && s.target().equals("load")
                && readAfter.contains(s.key() + "@" + s.targetTimeMs())).count();
        JsonNode row = null;
        for (JsonNode candidate : accuracy.get("rows")) {
            if (candidate.get("target").textValue().equals("load") && candidate.get("step").intValue() == 1) {
                row = candidate;
            }
        }
        assertNotNull(row, accuracy.toString());
        assertEquals("instance", accuracy.get("scope").textValue());
        assertEquals(dueAfter, row.get("since_start").get("n").longValue());
    }

    private static Map<String, Score> readScores(String topic, int expected) {
        Map<String, Score> scores = new TreeMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-scores-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            long settleUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, settleUntil)) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    Score score = ScoreJson.read(record.value());
                    assertEquals(null, scores.put(ReferenceScores.keyOf(score), score), "scored twice: " + score);
                }
                if (scores.size() >= expected && settleUntil == Long.MAX_VALUE) {
                    settleUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                }
            }
        }
        return scores;
    }
}
