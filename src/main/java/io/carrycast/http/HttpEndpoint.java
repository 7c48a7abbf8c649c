package io.carrycast.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.carrycast.CarrycastException;
import io.carrycast.topology.ForecastTopology;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} (Prometheus text), {@code GET /health} (200 only while Kafka Streams is RUNNING)
 * and {@code GET /forecasts/{key}} (the key's latest forecast, 404 if none, answered by whichever
 * instance's task owns the key). Owns its HTTP server; {@link #close} stops it.
 */
public final class HttpEndpoint implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);
    private static final String FORWARDED = "forwarded";

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final HttpAccess access;
    private final HttpClient client;
    private volatile KafkaStreams streams;
    private volatile HostInfo self;

    private HttpEndpoint(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry,
                         HttpAccess access) {
        this.server = server;
        this.executor = executor;
        this.registry = registry;
        this.access = access;
        this.client = access.forwardingClient();
    }

    /** Binds and starts serving; {@code /health} says 503 and queries fail until {@link #attach}. */
    public static HttpEndpoint start(String host, int port, PrometheusMeterRegistry registry) {
        return start(host, port, registry, HttpAccess.open());
    }

    /** As {@link #start(String, int, PrometheusMeterRegistry)}, with a token and TLS as {@code access} says. */
    public static HttpEndpoint start(String host, int port, PrometheusMeterRegistry registry, HttpAccess access) {
        try {
            HttpServer server = access.createServer(new InetSocketAddress(host, port), 64);
            ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
                Thread thread = new Thread(runnable, "carrycast-http");
                thread.setDaemon(true);
                return thread;
            });
            HttpEndpoint endpoint = new HttpEndpoint(server, executor, registry, access);
            access.protectMetrics(server.createContext("/metrics", endpoint::metrics));
            server.createContext("/health", endpoint::health);
            access.protect(server.createContext("/forecasts/", endpoint::forecast));
            server.setExecutor(executor);
            server.start();
            LOG.info("HTTP endpoint on {}://{}:{} (/metrics, /health, /forecasts/{key}){}", access.scheme(), host,
                    server.getAddress().getPort(), access.requiresToken() ? ", bearer token required" : "");
            return endpoint;
        } catch (IOException e) {
            throw new CarrycastException("cannot bind the HTTP endpoint to " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Connects the endpoint to the running Streams client and to the address other instances know it by. */
    public void attach(KafkaStreams streams, HostInfo self) {
        this.self = self;
        this.streams = streams;
    }

    private void metrics(HttpExchange exchange) throws IOException {
        respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
    }

    private void health(HttpExchange exchange) throws IOException {
        KafkaStreams current = streams;
        KafkaStreams.State state = current == null ? KafkaStreams.State.CREATED : current.state();
        boolean ready = state == KafkaStreams.State.RUNNING;
        respond(exchange, ready ? 200 : 503, "application/json", "{\"status\":\"" + state + "\"}");
    }

    private void forecast(HttpExchange exchange) throws IOException {
        if (!"GET".equals(exchange.getRequestMethod())) {
            respond(exchange, 405, "application/json", "{\"error\":\"only GET\"}");
            return;
        }
        String key = URLDecoder.decode(exchange.getRequestURI().getRawPath().substring("/forecasts/".length()),
                StandardCharsets.UTF_8);
        KafkaStreams current = streams;
        if (key.isEmpty() || current == null || current.state() != KafkaStreams.State.RUNNING) {
            respond(exchange, key.isEmpty() ? 400 : 503, "application/json",
                    key.isEmpty() ? "{\"error\":\"no key\"}" : "{\"error\":\"not running\"}");
            return;
        }
        KeyQueryMetadata owner = current.queryMetadataForKey(ForecastTopology.LATEST_STORE, key,
                Serdes.String().serializer());
        if (owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE)) {
            respond(exchange, 503, "application/json", "{\"error\":\"key's partition not assigned yet\"}");
        } else if (owner.activeHost().equals(self)) {
            answerLocally(exchange, current, key, owner.partition());
        } else if (exchange.getRequestURI().getQuery() != null && exchange.getRequestURI().getQuery().contains(FORWARDED)) {
            respond(exchange, 503, "application/json", "{\"error\":\"ownership moving, retry\"}");
        } else {
            forward(exchange, owner.activeHost(), key);
        }
    }

    private void answerLocally(HttpExchange exchange, KafkaStreams current, String key, int partition)
            throws IOException {
        StateQueryRequest<byte[]> request = StateQueryRequest.inStore(ForecastTopology.LATEST_STORE)
                .withQuery(KeyQuery.<String, byte[]>withKey(key)).withPartitions(Set.of(partition));
        StateQueryResult<byte[]> result = current.query(request);
        QueryResult<byte[]> partitionResult = result.getPartitionResults().get(partition);
        if (partitionResult == null || partitionResult.isFailure()) {
            respond(exchange, 503, "application/json", "{\"error\":\"store not queryable: "
                    + (partitionResult == null ? "no result" : partitionResult.getFailureReason()) + "\"}");
        } else if (partitionResult.getResult() != null) {
            respond(exchange, 200, "application/json", new String(partitionResult.getResult(), StandardCharsets.UTF_8));
        } else {
            byte[] elsewhere = anyLocalPartition(current, key);
            if (elsewhere == null) {
                respond(exchange, 404, "application/json", "{\"error\":\"no forecast for this key\"}");
            } else {
                respond(exchange, 200, "application/json", new String(elsewhere, StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * A producer with another partitioner than Kafka's default (librdkafka's, as kcat uses unless told
     * {@code -X partitioner=murmur2_random}) puts a key where the metadata does not look for it; the key is
     * still in one of this instance's partitions if it is local at all.
     */
    private static byte[] anyLocalPartition(KafkaStreams current, String key) {
        StateQueryResult<byte[]> all = current.query(StateQueryRequest.inStore(ForecastTopology.LATEST_STORE)
                .withQuery(KeyQuery.<String, byte[]>withKey(key)));
        return all.getPartitionResults().values().stream()
                .filter(result -> result.isSuccess() && result.getResult() != null)
                .map(QueryResult::getResult).findFirst().orElse(null);
    }

    private void forward(HttpExchange exchange, HostInfo owner, String key) throws IOException {
        URI uri = URI.create(access.scheme() + "://" + owner.host() + ":" + owner.port() + "/forecasts/"
                + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20") + "?" + FORWARDED);
        try {
            HttpResponse<String> answer = client.send(access.authorize(HttpRequest.newBuilder(uri)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            respond(exchange, answer.statusCode(), "application/json", answer.body());
        } catch (IOException e) {
            respond(exchange, 502, "application/json", "{\"error\":\"owner " + owner + " unreachable\"}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(exchange, 503, "application/json", "{\"error\":\"interrupted\"}");
        }
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
