package io.carrycast.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The endpoint before Kafka Streams is attached: what each method gets on each path. The answers that
 * need a running stream are in {@code HttpEndpointIT} and {@code ForecastQueryDuringRebalanceIT}.
 */
class HttpEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldAllowOnlyGetAndHeadOnEveryPath() throws Exception {
        try (HttpEndpoint endpoint = HttpEndpoint.start("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            String base = "http://127.0.0.1:" + endpoint.port();
            for (String path : List.of("/metrics", "/health", "/forecasts/Seattle")) {
                for (String method : List.of("POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
                    HttpResponse<String> answer = send(method, base + path);
                    assertEquals(405, answer.statusCode(), method + " " + path);
                    assertEquals(Optional.of("GET, HEAD"), answer.headers().firstValue("Allow"), method + " " + path);
                    assertEquals("{\"error\":\"method " + method + " not allowed; use GET or HEAD\"}", answer.body());
                }
            }
            assertEquals(200, send("GET", base + "/metrics").statusCode());
            HttpResponse<String> head = send("HEAD", base + "/metrics");
            assertEquals(200, head.statusCode());
            assertEquals("", head.body());
        }
    }

    @Test
    void shouldSayNotReadyAndWhenToRetryBeforeKafkaStreamsIsAttached() throws Exception {
        try (HttpEndpoint endpoint = HttpEndpoint.start("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            String base = "http://127.0.0.1:" + endpoint.port();

            HttpResponse<String> health = send("GET", base + "/health");
            assertEquals(503, health.statusCode());
            assertEquals("{\"status\":\"CREATED\"}", health.body());

            HttpResponse<String> forecast = send("GET", base + "/forecasts/Seattle");
            assertEquals(503, forecast.statusCode());
            assertEquals(Optional.of("2"), forecast.headers().firstValue("Retry-After"));
            assertEquals("{\"error\":\"Kafka Streams is CREATED\"}", forecast.body());

            assertEquals(400, send("GET", base + "/forecasts/").statusCode());
            assertEquals(404, send("GET", base + "/healthz").statusCode());
        }
    }

    private HttpResponse<String> send(String method, String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .method(method, HttpRequest.BodyPublishers.noBody()).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
