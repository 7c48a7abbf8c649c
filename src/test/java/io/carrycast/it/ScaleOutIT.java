package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.http.HttpEndpoint;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.SingleInstanceReference;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.InstanceHttp;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.Topics;
import io.carrycast.testing.SyntheticEvents;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
            InstanceHttp.awaitHealth(ports.get(1), "RUNNING", Duration.ofSeconds(300));
            InstanceHttp.awaitHealth(ports.get(2), "RUNNING", Duration.ofSeconds(300));
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
        int port = InstanceHttp.freePort();
        ports.add(port);
        Map<String, Object> settings = topics.settings(fixture.directory(), tempDir.resolve("state-" + name), appId);
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        settings.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, 64);
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, port);
        settings.put("consumer.session.timeout.ms", 10_000);
        return AppProcess.start(tempDir, name, settings);
    }

    private static void assertAnyInstanceAnswersAnyKey(Map<String, List<Forecast>> byKey, List<Integer> ports)
            throws Exception {
        for (String key : byKey.keySet().stream().limit(12).toList()) {
            for (int port : ports) {
                awaitLatest(port, key, byKey.get(key));
            }
        }
    }

    /**
     * Asks until the instance answers the key's latest forecast. While the group still rebalances after the
     * kill, an answer may come from a standby or paused copy, marked stale; such an answer must be one of the
     * key's own forecasts, and no answer but a stale one or a 503 with Retry-After (no copy reachable) may
     * come before the latest.
     */
    private static void awaitLatest(int port, String key, List<Forecast> forKey) throws Exception {
        Forecast latest = forKey.get(forKey.size() - 1);
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        while (true) {
            HttpResponse<String> answer = InstanceHttp.get(port, "/forecasts/" + key);
            String where = key + " via port " + port + ": " + answer.statusCode() + " " + answer.body();
            if (answer.statusCode() == 503) {
                assertEquals(Optional.of("2"), answer.headers().firstValue("Retry-After"), where);
            } else {
                Optional<String> stale = answer.headers().firstValue(HttpEndpoint.STALE_HEADER);
                Forecast served = answer.statusCode() == 200
                        ? ForecastJson.read(answer.body().getBytes(StandardCharsets.UTF_8)) : null;
                if (latest.equals(served)) {
                    return;
                }
                assertEquals(Optional.of("true"), stale, "only a copy marked stale may trail: " + where);
                assertTrue(served == null ? answer.statusCode() == 404 : forKey.contains(served), where);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("never answered the latest forecast; last: " + where);
            }
            Thread.sleep(200);
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
