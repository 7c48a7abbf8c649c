package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.http.HttpEndpoint;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.InstanceHttp;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.SyntheticEvents;
import io.carrycast.testing.Topics;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /forecasts/{key}} while the group cannot settle: instance b is killed (SIGKILL) and instance c
 * joins. b's session timeout is longer than the test, so by construction the group keeps b as a member and
 * owner of its partitions, and the rebalance c's joining starts cannot finish while the test runs: c stays
 * REBALANCING with no copy of anything, and a still finds b named as the owner of b's keys. No step waits
 * for a rebalance to happen or to end.
 */
@ExtendWith(KafkaBroker.class)
class ForecastQueryDuringRebalanceIT {

    private static final int KEYS = 40;
    private static final int EVENTS_PER_KEY = 5;
    /** Longer than the test: the group neither expires the killed member nor ends the rebalance meanwhile. */
    private static final int HELD_OPEN_MS = 600_000;
    private static final Duration WAIT = Duration.ofSeconds(300);

    @TempDir
    Path tempDir;

    @Test
    void shouldAnswerFromTheStandbyMarkedStaleWhenTheOwnerIsKilledAndNotFromAJoiningInstanceWithoutACopy()
            throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(KEYS, EVENTS_PER_KEY, 7);
        Topics topics = Topics.create("rebalance-query", 4);
        String appId = "rebalance-query-" + UUID.randomUUID();
        int portA = InstanceHttp.freePort();
        int portB = InstanceHttp.freePort();
        int portC = InstanceHttp.freePort();
        List<AppProcess> instances = new ArrayList<>();
        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            instances.add(start(fixture, topics, appId, "a", portA));
            instances.add(start(fixture, topics, appId, "b", portB));
            InstanceHttp.awaitHealth(portA, "RUNNING", WAIT);
            InstanceHttp.awaitHealth(portB, "RUNNING", WAIT);
            KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
            assertEquals(events.size(), reader.readUntil(events.size(), WAIT));
            Map<String, Forecast> latest = new HashMap<>();
            reader.byKey().forEach((key, forecasts) -> latest.put(key, forecasts.get(forecasts.size() - 1)));

            // Given: each key's latest forecast in a running active copy on one instance and a standby on the other
            Set<String> ownedByB = awaitOneActiveAndOneStandbyCopyOfEachKey(latest, portA, portB);
            assertFalse(ownedByB.isEmpty(), "b owns no partition, so killing it shows nothing");
            assertFalse(ownedByB.size() == KEYS, "a owns no partition");

            // When: the owner of those keys dies, and another instance joins
            instances.get(1).kill();
            instances.add(start(fixture, topics, appId, "c", portC));
            InstanceHttp.awaitHealth(portC, "REBALANCING", WAIT);

            // Then: a answers every key, b's from its standby copy, marked stale
            for (String key : latest.keySet()) {
                HttpResponse<String> answer = InstanceHttp.get(portA, "/forecasts/" + key);
                assertEquals(200, answer.statusCode(), key + ": " + answer.body());
                assertEquals(latest.get(key), ForecastJson.read(answer.body().getBytes(StandardCharsets.UTF_8)), key);
                assertEquals(Optional.of(String.valueOf(ownedByB.contains(key))),
                        answer.headers().firstValue(HttpEndpoint.STALE_HEADER), key);
            }
            // and c, which holds no copy and does not yet know who does, says so and when to ask again
            for (String key : new TreeSet<>(latest.keySet()).headSet("meter-0005")) {
                HttpResponse<String> answer = InstanceHttp.get(portC, "/forecasts/" + key);
                assertEquals(503, answer.statusCode(), key + ": " + answer.body());
                assertEquals(Optional.of("2"), answer.headers().firstValue("Retry-After"), key);
                assertEquals("{\"error\":\"no copy of this key's partition is reachable now; Kafka Streams is "
                        + "REBALANCING\"}", answer.body());
            }
        } finally {
            for (AppProcess instance : instances) {
                instance.close();
            }
        }
    }

    /**
     * Waits until every key's latest forecast is in exactly one running active copy (answered unmarked) and in
     * a standby copy on the other instance (marked stale), asking each instance for its own copies only.
     *
     * @return the keys b owns
     */
    private static Set<String> awaitOneActiveAndOneStandbyCopyOfEachKey(Map<String, Forecast> latest, int portA,
                                                                      int portB) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        String pending = "";
        while (System.nanoTime() < deadline) {
            Set<String> ownedByB = new TreeSet<>();
            pending = "";
            for (String key : latest.keySet()) {
                Optional<Boolean> staleOnA = localCopy(portA, key, latest.get(key));
                Optional<Boolean> staleOnB = localCopy(portB, key, latest.get(key));
                if (staleOnA.isEmpty() || staleOnB.isEmpty() || staleOnA.get() == staleOnB.get()) {
                    pending = key + " (a: " + staleOnA + ", b: " + staleOnB + ")";
                    break;
                }
                if (!staleOnB.get()) {
                    ownedByB.add(key);
                }
            }
            if (pending.isEmpty()) {
                return ownedByB;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("copies never settled; first key not yet as expected: " + pending);
    }

    /** Whether the instance's own copy of the key is marked stale, when that copy holds {@code expected}. */
    private static Optional<Boolean> localCopy(int port, String key, Forecast expected) throws Exception {
        HttpResponse<String> answer = InstanceHttp.get(port, "/forecasts/" + key + "?" + HttpEndpoint.LOCAL_ONLY_PARAMETER);
        if (answer.statusCode() != 200
                || !expected.equals(ForecastJson.read(answer.body().getBytes(StandardCharsets.UTF_8)))) {
            return Optional.empty();
        }
        return answer.headers().firstValue(HttpEndpoint.STALE_HEADER).map(Boolean::parseBoolean);
    }

    private AppProcess start(Fixture fixture, Topics topics, String appId, String name, int port) {
        Map<String, Object> settings = topics.settings(fixture.directory(), tempDir.resolve("state-" + name), appId);
        // The answers do not depend on the guarantee; at-least-once shows forecasts without waiting for commits.
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
        settings.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, 1);
        settings.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        settings.put("consumer.session.timeout.ms", HELD_OPEN_MS);
        settings.put("consumer.max.poll.interval.ms", HELD_OPEN_MS);
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, port);
        return AppProcess.start(tempDir, name, settings);
    }
}
