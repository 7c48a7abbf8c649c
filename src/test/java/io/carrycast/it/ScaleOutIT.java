package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastAssertions;
import io.carrycast.testing.SingleInstanceReference;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.Topics;
import io.carrycast.testing.SyntheticEvents;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Instances as separate OS processes: one, then three mid-stream, then one killed with SIGKILL. Under
 * exactly_once_v2 the forecasts equal a single-instance run key by key; any instance answers any key's
 * latest forecast over HTTP.
 */
@ExtendWith(KafkaBroker.class)
class ScaleOutIT {

    private static final int KEYS = 300;
    private static final int EVENTS_PER_KEY = 40;

    @TempDir
    Path tempDir;

    @Test
    void shouldMatchASingleInstanceRunWhileInstancesJoinAndOneIsKilled() throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(KEYS, EVENTS_PER_KEY, 23);
        int total = events.size();
        Topics topics = Topics.create("scale", 6);
        String appId = "scale-" + UUID.randomUUID();
        Thread producer = new Thread(() -> {
            for (int from = 0; from < total; from += KEYS * 2) {
                KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events.subList(from, from + KEYS * 2));
                sleep(700);
            }
        }, "paced-producer");

        List<AppProcess> instances = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            instances.add(start(fixture, topics, appId, "a", ports));
            producer.start();
            reader.readUntil(total / 6, Duration.ofSeconds(120));
            instances.add(start(fixture, topics, appId, "b", ports));
            instances.add(start(fixture, topics, appId, "c", ports));
            awaitRunning(ports.get(1));
            awaitRunning(ports.get(2));
            int beforeKill = reader.readUntil(total / 2, Duration.ofSeconds(120));
            assertTrue(beforeKill < total, "b is killed mid-stream, after " + beforeKill + " forecasts");
            instances.get(1).kill();
            producer.join();
            reader.readUntil(total, Duration.ofSeconds(180));
            reader.readFor(Duration.ofSeconds(3));

            assertEquals(total, reader.records().size(), "one forecast per event; repeated: " + repeats(reader));
            SingleInstanceReference.assertMatches(fixture, events, reader.byKey(), tempDir.resolve("reference"));
            assertAnyInstanceAnswersAnyKey(reader.byKey(), List.of(ports.get(0), ports.get(2)));
        } finally {
            for (AppProcess instance : instances) {
                instance.close();
            }
        }
    }

    /** Forecasts whose key and event time were already read, with where they were read from. */
    private static List<String> repeats(ForecastReader reader) {
        Map<String, String> first = new HashMap<>();
        List<String> repeats = new ArrayList<>();
        for (var record : reader.records()) {
            String id = record.key() + "@" + record.value().eventTimeMs();
            String where = "p" + record.partition() + "/o" + record.offset() + " steps " + record.value().stepsSeen();
            String earlier = first.putIfAbsent(id, where);
            if (earlier != null) {
                repeats.add(id + " first " + earlier + ", again " + where);
            }
        }
        return repeats;
    }

    private AppProcess start(Fixture fixture, Topics topics, String appId, String name,
                             List<Integer> ports) throws IOException {
        int port = freePort();
        ports.add(port);
        Map<String, Object> settings = new HashMap<>();
        settings.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaBroker.bootstrapServers());
        settings.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        settings.put(StreamsConfig.STATE_DIR_CONFIG, tempDir.resolve("state-" + name).toString());
        settings.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        settings.put(CarrycastConfig.MODEL_DIR_CONFIG, fixture.directory().toString());
        settings.put(CarrycastConfig.INPUT_TOPIC_CONFIG, topics.input());
        settings.put(CarrycastConfig.OUTPUT_TOPIC_CONFIG, topics.output());
        settings.put(CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG, topics.deadLetter());
        settings.put(CarrycastConfig.TIMESTAMP_FIELD_CONFIG, "time");
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, 64);
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, port);
        settings.put("consumer.session.timeout.ms", 10_000);
        return AppProcess.start(tempDir, name, settings);
    }

    private static void assertAnyInstanceAnswersAnyKey(Map<String, List<Forecast>> byKey, List<Integer> ports)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (String key : byKey.keySet().stream().limit(12).toList()) {
            List<Forecast> forKey = byKey.get(key);
            for (int port : ports) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/forecasts/" + key)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, answer.statusCode(), key + " via port " + port + ": " + answer.body());
                assertEquals(forKey.get(forKey.size() - 1), ForecastJson.read(answer.body().getBytes(StandardCharsets.UTF_8)));
            }
        }
    }

    /** Waits until the instance's Kafka Streams is RUNNING, i.e. it has joined and holds its tasks. */
    private static void awaitRunning(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // the JVM is still starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("instance on port " + port + " never became RUNNING");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
