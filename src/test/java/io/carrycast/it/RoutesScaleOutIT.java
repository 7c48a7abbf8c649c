package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.testing.AppProcess;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.InstanceHttp;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.SyntheticEvents;
import io.carrycast.testing.Topics;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two instances share the partitions of a deployment with two routes: every event is forecast once, by its key's
 * route's model, as one instance would, and either instance answers any key's latest forecast over HTTP.
 */
@ExtendWith(KafkaBroker.class)
class RoutesScaleOutIT {

    private static final int KEYS = 120;
    private static final int EVENTS_PER_KEY = 20;

    @TempDir
    Path tempDir;

    @Test
    void shouldForecastRoutedKeysOnceEachAcrossTwoInstances() throws Exception {
        List<Fixture.Event> events = SyntheticEvents.levelFlowPressure(KEYS, EVENTS_PER_KEY, 29);
        Topics topics = Topics.create("routes-scale", 4);
        String appId = "routes-scale-" + UUID.randomUUID();
        List<AppProcess> instances = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        try (ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            instances.add(start(topics, appId, "a", ports));
            instances.add(start(topics, appId, "b", ports));
            InstanceHttp.awaitHealth(ports.get(0), "RUNNING", Duration.ofSeconds(300));
            InstanceHttp.awaitHealth(ports.get(1), "RUNNING", Duration.ofSeconds(300));
            KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
            reader.readUntil(events.size(), Duration.ofSeconds(180));
            reader.readFor(Duration.ofSeconds(3));

            assertEquals(events.size(), reader.records().size(), "one forecast per event");
            double first = eventsIn(ports.get(0));
            double second = eventsIn(ports.get(1));
            assertEquals(events.size(), first + second, 0.0, "each event read once, by one instance");
            assertTrue(first > 0 && second > 0, "both instances forecast: " + first + " and " + second + " events");
            RoutesCrashRecoveryIT.assertMatchesRoutedReference(events, reader.byKey(), tempDir.resolve("reference"));
            for (String key : List.of("meter-0000", "meter-0001", "meter-0042", "meter-0077")) {
                List<Forecast> forKey = reader.byKey().get(key);
                for (int port : ports) {
                    HttpResponse<String> answer = InstanceHttp.get(port, "/forecasts/" + key);
                    assertEquals(200, answer.statusCode(), key + " via " + port + ": " + answer.body());
                    assertEquals(forKey.get(forKey.size() - 1),
                            ForecastJson.read(answer.body().getBytes(StandardCharsets.UTF_8)), key + " via " + port);
                }
            }
        } finally {
            for (AppProcess instance : instances) {
                instance.close();
            }
        }
    }

    /** The instance's {@code carrycast_events_in_total}, from its /metrics. */
    private static double eventsIn(int port) throws Exception {
        String metrics = InstanceHttp.get(port, "/metrics").body();
        return metrics.lines().filter(line -> line.startsWith("carrycast_events_in_total"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    private AppProcess start(Topics topics, String appId, String name, List<Integer> ports) throws IOException {
        int port = InstanceHttp.freePort();
        ports.add(port);
        Map<String, Object> settings = topics.settings(RoutesCrashRecoveryIT.LSTM.directory(),
                tempDir.resolve("state-" + name), appId);
        settings.putAll(RoutesCrashRecoveryIT.routes());
        settings.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        settings.put(CarrycastConfig.BATCH_MAX_SIZE_CONFIG, 64);
        settings.put(CarrycastConfig.HTTP_PORT_CONFIG, port);
        settings.put("consumer.session.timeout.ms", 10_000);
        return AppProcess.start(tempDir, name, settings);
    }
}
