package io.carrycast.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.app.CarrycastApplication;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastReader;
import io.carrycast.testing.KafkaBroker;
import io.carrycast.testing.KafkaIo;
import io.carrycast.testing.Topics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Health, Prometheus metrics and the latest forecast per key, over HTTP from a running instance. */
@ExtendWith(KafkaBroker.class)
class HttpEndpointIT {

    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path tempDir;

    @Test
    void shouldServeHealthMetricsAndEachKeysLatestForecast() throws Exception {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.interleavedEvents();
        Topics topics = Topics.create("http", 2);
        CarrycastConfig config = topics.config(fixture.directory(), StreamsConfig.EXACTLY_ONCE_V2,
                tempDir.resolve("state"), "http-" + UUID.randomUUID());

        try (CarrycastApplication app = CarrycastApplication.start(config);
             ForecastReader reader = new ForecastReader(KafkaBroker.bootstrapServers(), topics.output())) {
            String base = "http://127.0.0.1:" + app.httpPort();
            app.awaitRunning(Duration.ofSeconds(60));
            assertEquals(200, get(base + "/health").statusCode());

            KafkaIo.produce(KafkaBroker.bootstrapServers(), topics.input(), events);
            assertEquals(events.size(), reader.readUntil(events.size(), Duration.ofSeconds(60)));

            for (String key : fixture.keys()) {
                List<Forecast> forKey = reader.byKey().get(key);
                HttpResponse<String> latest = get(base + "/forecasts/" + key);
                assertEquals(200, latest.statusCode(), latest.body());
                assertEquals(forKey.get(forKey.size() - 1),
                        ForecastJson.read(latest.body().getBytes(StandardCharsets.UTF_8)));
            }
            assertEquals(404, get(base + "/forecasts/no-such-key").statusCode());

            String metrics = get(base + "/metrics").body();
            assertTrue(metrics.contains("carrycast_events_in_total " + events.size() + ".0"), metrics);
            assertTrue(metrics.contains("carrycast_forecasts_out_total " + events.size() + ".0"));
            assertTrue(metrics.contains("carrycast_model_info{fingerprint="), "model version exposed");
            assertTrue(metrics.contains("version=\"1\""));
            assertTrue(metrics.contains("carrycast_batch_size_count"));
            assertTrue(metrics.contains("carrycast_inference_latency_seconds_bucket"));
            assertTrue(metrics.contains("carrycast_forecast_lag_seconds_count"));
            assertTrue(metrics.contains("carrycast_keys_in_state"));
            assertTrue(metrics.contains("kafka_stream_"), "Kafka Streams' own client metrics");
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
