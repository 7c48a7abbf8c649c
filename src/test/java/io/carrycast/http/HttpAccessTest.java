package io.carrycast.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.CarrycastException;
import io.carrycast.broker.TlsMaterial;
import io.carrycast.testing.TlsClients;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoint's bearer token and TLS, on an endpoint with no Kafka Streams attached: past the token, the
 * data endpoint answers 503 (not running), which shows the request got through.
 */
class HttpAccessTest {

    private static final String TOKEN = "test-token-" + TlsMaterial.randomSecret();

    @TempDir
    static Path tempDir;

    private static TlsMaterial tls;

    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void makeKeyStore() {
        tls = TlsMaterial.generate(tempDir, "http");
    }

    @Test
    void shouldRefuseTheDataEndpointWithoutTheRightTokenAndLeaveHealthAndMetricsOpen() throws Exception {
        try (HttpEndpoint endpoint = start(HttpAccess.of(TOKEN, false, null, null, null, null))) {
            String base = "http://127.0.0.1:" + endpoint.port();

            HttpResponse<String> none = get(http, base + "/forecasts/k", null);
            HttpResponse<String> wrong = get(http, base + "/forecasts/k", "Bearer not-" + TOKEN);
            HttpResponse<String> right = get(http, base + "/forecasts/k", "Bearer " + TOKEN);

            assertEquals(401, none.statusCode());
            assertEquals("{\"error\":\"missing or wrong bearer token\"}", none.body());
            assertEquals("Bearer realm=\"carrycast\"", none.headers().firstValue("WWW-Authenticate").orElseThrow());
            assertEquals(401, wrong.statusCode());
            assertEquals(401, get(http, base + "/forecasts/k", TOKEN).statusCode(), "the Bearer scheme is required");
            assertEquals(503, right.statusCode(), right.body());
            assertEquals("{\"error\":\"Kafka Streams is CREATED\"}", right.body(), "the endpoint itself answered");
            assertEquals(401, get(http, base + "/accuracy", null).statusCode(), "a data endpoint too");
            assertEquals(404, get(http, base + "/accuracy", "Bearer " + TOKEN).statusCode(), "scoring off: the endpoint answered");
            assertEquals(503, get(http, base + "/health", null).statusCode(), "open: answers, not 401");
            assertEquals(200, get(http, base + "/metrics", null).statusCode());
        }
    }

    @Test
    void shouldRequireTheTokenOnMetricsWhenTheSettingSaysSo() throws Exception {
        try (HttpEndpoint endpoint = start(HttpAccess.of(TOKEN, true, null, null, null, null))) {
            String base = "http://127.0.0.1:" + endpoint.port();

            assertEquals(401, get(http, base + "/metrics", null).statusCode());
            assertEquals(200, get(http, base + "/metrics", "Bearer " + TOKEN).statusCode());
            assertEquals(503, get(http, base + "/health", null).statusCode(), "/health stays open");
        }
    }

    @Test
    void shouldLeaveEveryEndpointOpenWithoutAToken() throws Exception {
        try (HttpEndpoint endpoint = start(HttpAccess.of("", true, null, null, null, null))) {
            assertEquals(503, get(http, "http://127.0.0.1:" + endpoint.port() + "/forecasts/k", null).statusCode());
            assertEquals(200, get(http, "http://127.0.0.1:" + endpoint.port() + "/metrics", null).statusCode());
        }
    }

    @Test
    void shouldServeHttpsToAClientThatTrustsTheCertificate() throws Exception {
        try (HttpEndpoint endpoint = start(HttpAccess.of(TOKEN, false, tls.keyStore(), tls.keyStorePassword(), null, null))) {
            HttpClient trusting = TlsClients.trusting(tls);

            HttpResponse<String> health = get(trusting, "https://127.0.0.1:" + endpoint.port() + "/health", null);
            HttpResponse<String> forecast = get(trusting, "https://127.0.0.1:" + endpoint.port() + "/forecasts/k",
                    "Bearer " + TOKEN);

            assertEquals(503, health.statusCode());
            assertEquals("{\"status\":\"CREATED\"}", health.body());
            assertEquals(503, forecast.statusCode());
            assertThrows(IOException.class, () -> get(http, "https://127.0.0.1:" + endpoint.port() + "/health", null),
                    "a client that does not trust the certificate gets no answer");
            HttpRequest plain = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/health"))
                    .timeout(Duration.ofSeconds(2)).build();
            assertThrows(IOException.class, () -> http.send(plain, HttpResponse.BodyHandlers.ofString()),
                    "no plain HTTP on a TLS endpoint");
        }
    }

    @Test
    void shouldNameTheSettingWhenTheKeyStoreCannotBeOpened() {
        CarrycastException wrongPassword = assertThrows(CarrycastException.class,
                () -> HttpAccess.of("", false, tls.keyStore(), "not-the-password", null, null));
        CarrycastException missing = assertThrows(CarrycastException.class,
                () -> HttpAccess.of("", false, tempDir.resolve("none.p12"), "x", null, null));

        assertEquals("carrycast.http.ssl.keystore.location=" + tls.keyStore() + ": cannot load the key store "
                + "(keystore password was incorrect); check the file and carrycast.http.ssl.keystore.password",
                wrongPassword.getMessage());
        assertEquals("carrycast.http.ssl.keystore.location=" + tempDir.resolve("none.p12") + ": cannot load the key "
                + "store (no readable file there); check the file and carrycast.http.ssl.keystore.password",
                missing.getMessage());
        assertTrue(!wrongPassword.getMessage().contains(tls.keyStorePassword()));
    }

    private static HttpEndpoint start(HttpAccess access) {
        return HttpEndpoint.start("127.0.0.1", 0, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), access);
    }


    private static HttpResponse<String> get(HttpClient client, String url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
