package io.carrycast.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.accuracy.AccuracyBoard;
import io.carrycast.accuracy.Score;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code GET /accuracy}: 404 until scoring is attached, then the instance's table; reads only. */
class AccuracyEndpointTest {

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldServeTheTableOnceScoringIsAttachedAndOnlyForReading() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (HttpEndpoint endpoint = HttpEndpoint.start("127.0.0.1", 0, registry)) {
            String url = "http://127.0.0.1:" + endpoint.port() + "/accuracy";
            HttpResponse<String> off = send("GET", url);
            assertEquals(404, off.statusCode());
            assertEquals("{\"error\":\"accuracy is not tracked here\"}", off.body());

            AccuracyBoard board = new AccuracyBoard(registry, Duration.ofHours(1), System::currentTimeMillis);
            board.scored(new Score("k", 0, 1, 1, "load", 12, 10, 11, "m", "3"));
            endpoint.attachAccuracy(board);
            HttpResponse<String> on = send("GET", url);
            assertEquals(200, on.statusCode());
            assertEquals(Optional.of("application/json"), on.headers().firstValue("Content-Type"));
            JsonNode row = new ObjectMapper().readTree(on.body()).get("rows").get(0);
            assertEquals("3", row.get("version").textValue());
            assertEquals(2.0, row.get("since_start").get("mae").doubleValue(), 0.0);
            assertEquals(-1.0, row.get("since_start").get("skill").doubleValue(), 0.0);

            assertEquals(405, send("POST", url).statusCode());
            assertEquals(404, send("GET", url + "/more").statusCode());
        }
    }

    private HttpResponse<String> send(String method, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
