package io.carrycast.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.carrycast.CarrycastException;
import io.carrycast.accuracy.AccuracyBoard;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
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
 * {@code GET /forecasts/{key}} (the key's latest forecast, 404 if none) and {@code GET /accuracy} (this
 * instance's live accuracy table, with scoring on; 404 otherwise). HEAD is answered like GET; other
 * methods get 405 with an {@code Allow} header. Owns its HTTP server; {@link #close} stops it.
 *
 * <p>A forecast comes from the freshest copy that can be reached: this instance's active task (when its
 * stream thread is running), else the owner's, asked over HTTP, else any local copy (a standby replica, or
 * an active task paused by a rebalance), else a standby elsewhere. Answers from anything but a running
 * active task carry {@value #STALE_HEADER}{@code : true}: they may trail the latest event by what the copy
 * has not read yet. Only when no copy answers is it 503 with {@code Retry-After}. Every scale-out and deploy
 * rebalances, so "not running" would otherwise be the answer exactly when operators look.
 */
public final class HttpEndpoint implements AutoCloseable {

    /** Response header: {@code true} when the forecast may trail the key's latest event (not from a running active task). */
    public static final String STALE_HEADER = "X-Carrycast-Stale";
    private static final Logger LOG = LoggerFactory.getLogger(HttpEndpoint.class);
    /**
     * Query parameter of the requests instances send each other ({@code /forecasts/KEY?forwarded}): answer from
     * this instance's own copies only, never pass the request on.
     */
    public static final String LOCAL_ONLY_PARAMETER = "forwarded";
    private static final String RETRY_AFTER_SECONDS = "2";
    private static final String JSON = "application/json";

    private final HttpServer server;
    private final ExecutorService executor;
    private final PrometheusMeterRegistry registry;
    private final HttpAccess access;
    private final HttpClient client;
    private volatile KafkaStreams streams;
    /** The store {@code GET /forecasts/KEY} reads each key's latest forecast from. */
    private volatile String latestStore;
    private volatile HostInfo self;
    private volatile AccuracyBoard accuracy;

    private HttpEndpoint(HttpServer server, ExecutorService executor, PrometheusMeterRegistry registry,
                         HttpAccess access) {
        this.server = server;
        this.executor = executor;
        this.registry = registry;
        this.access = access;
        this.client = access.forwardingClient(Duration.ofSeconds(3));
    }

    /** Binds and starts serving; {@code /health} says 503 and queries fail until {@link #attach}. */
    public static HttpEndpoint start(String host, int port, PrometheusMeterRegistry registry) {
        return start(host, port, registry, HttpAccess.open());
    }

    /** As {@link #start(String, int, PrometheusMeterRegistry)}, with a token and TLS as {@code access} says. */
    public static HttpEndpoint start(String host, int port, PrometheusMeterRegistry registry, HttpAccess access) {
        HttpServer server;
        try {
            server = access.createServer(new InetSocketAddress(host, port), 64);
        } catch (BindException e) {
            throw new CarrycastException("cannot start the HTTP endpoint: " + host + ":" + port
                    + " is already in use (carrycast.http.port: another port, 0 for any free one, -1 for none)", e);
        } catch (IOException e) {
            throw new CarrycastException("cannot start the HTTP endpoint on " + host + ":" + port + ": " + e.getMessage(), e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "carrycast-http");
            thread.setDaemon(true);
            return thread;
        });
        HttpEndpoint endpoint = new HttpEndpoint(server, executor, registry, access);
        access.protectMetrics(server.createContext("/metrics", exchange -> endpoint.serve(exchange, "/metrics", endpoint::metrics)));
        server.createContext("/health", exchange -> endpoint.serve(exchange, "/health", endpoint::health));
        access.protect(server.createContext("/forecasts/", exchange -> endpoint.serve(exchange, null, endpoint::forecast)));
        access.protect(server.createContext("/accuracy", exchange -> endpoint.serve(exchange, "/accuracy", endpoint::accuracy)));
        server.setExecutor(executor);
        server.start();
        LOG.info("HTTP endpoint on {}://{}:{} (/metrics, /health, /forecasts/<key>, /accuracy){}", access.scheme(), host,
                server.getAddress().getPort(), access.requiresToken() ? ", bearer token required" : "");
        return endpoint;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * Connects the endpoint to the running Streams client, the store that holds each key's latest forecast, and
     * the address other instances know it by.
     */
    public void attach(KafkaStreams streams, String latestStore, HostInfo self) {
        this.self = self;
        this.latestStore = latestStore;
        this.streams = streams;
    }

    /** Connects {@code GET /accuracy} to the live accuracy tallies; until then it answers 404. */
    public void attachAccuracy(AccuracyBoard board) {
        this.accuracy = board;
    }

    /** Reads only: GET and HEAD; {@code exactPath}, when given, must match (contexts match by prefix). */
    private void serve(HttpExchange exchange, String exactPath, HttpHandler handler) throws IOException {
        String method = exchange.getRequestMethod();
        if (exactPath != null && !exactPath.equals(exchange.getRequestURI().getPath())) {
            respond(exchange, 404, JSON, "{\"error\":\"no such resource\"}");
        } else if (!"GET".equals(method) && !"HEAD".equals(method)) {
            exchange.getResponseHeaders().set("Allow", "GET, HEAD");
            respond(exchange, 405, JSON, "{\"error\":\"method " + method + " not allowed; use GET or HEAD\"}");
        } else {
            handler.handle(exchange);
        }
    }

    private void metrics(HttpExchange exchange) throws IOException {
        respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
    }

    private void health(HttpExchange exchange) throws IOException {
        KafkaStreams current = streams;
        KafkaStreams.State state = current == null ? KafkaStreams.State.CREATED : current.state();
        boolean ready = state == KafkaStreams.State.RUNNING;
        respond(exchange, ready ? 200 : 503, JSON, "{\"status\":\"" + state + "\"}");
    }

    /** This instance's live accuracy table ({@link AccuracyBoard#toJson}): per instance, as it says. */
    private void accuracy(HttpExchange exchange) throws IOException {
        AccuracyBoard board = accuracy;
        if (board == null) {
            respond(exchange, 404, JSON, "{\"error\":\"accuracy is not tracked here\"}");
            return;
        }
        HostInfo address = self;
        respond(exchange, 200, JSON, board.toJson(address == null ? "unknown" : address.host() + ":" + address.port()));
    }

    private void forecast(HttpExchange exchange) throws IOException {
        String key = URLDecoder.decode(exchange.getRequestURI().getRawPath().substring("/forecasts/".length()),
                StandardCharsets.UTF_8);
        if (key.isEmpty()) {
            respond(exchange, 400, JSON, "{\"error\":\"no key\"}");
            return;
        }
        KafkaStreams current = streams;
        KafkaStreams.State state = current == null ? KafkaStreams.State.CREATED : current.state();
        if (!state.isRunningOrRebalancing()) {
            unavailable(exchange, "Kafka Streams is " + state);
            return;
        }
        boolean localOnly = exchange.getRequestURI().getQuery() != null
                && exchange.getRequestURI().getQuery().contains(LOCAL_ONLY_PARAMETER);
        KeyQueryMetadata owner = ownerOf(current, key);
        int partition = owner == null ? -1 : owner.partition();

        LocalCopy active = lookUpLocally(current, key, partition, true);
        if (active.value() != null || active.answeredKeyPartition()) {
            answer(exchange, active.value(), false);
            return;
        }
        if (!localOnly && owner != null && isElsewhere(owner.activeHost())) {
            Optional<HttpResponse<String>> fromOwner = ask(owner.activeHost(), key);
            if (fromOwner.isPresent()) {
                relay(exchange, fromOwner.get(), false);
                return;
            }
        }
        LocalCopy copy = lookUpLocally(current, key, partition, false);
        if (copy.value() != null) {
            answer(exchange, copy.value(), true);
            return;
        }
        Optional<HttpResponse<String>> fromStandby = localOnly || owner == null ? Optional.empty()
                : askStandbysElsewhere(owner, key);
        if (fromStandby.isPresent()) {
            relay(exchange, fromStandby.get(), true);
        } else if (copy.answeredKeyPartition()) {
            answer(exchange, null, true);
        } else {
            unavailable(exchange, "no copy of this key's partition is reachable now; Kafka Streams is " + state);
        }
    }

    /** The key's partition and the hosts of its active and standby copies, or null while unknown. */
    private KeyQueryMetadata ownerOf(KafkaStreams current, String key) {
        try {
            KeyQueryMetadata owner = current.queryMetadataForKey(latestStore, key,
                    Serdes.String().serializer());
            return owner == null || owner.equals(KeyQueryMetadata.NOT_AVAILABLE) ? null : owner;
        } catch (RuntimeException stoppedMeanwhile) {
            return null;
        }
    }

    private Optional<HttpResponse<String>> askStandbysElsewhere(KeyQueryMetadata owner, String key) {
        for (HostInfo standby : owner.standbyHosts()) {
            Optional<HttpResponse<String>> answer = isElsewhere(standby) ? ask(standby, key) : Optional.empty();
            if (answer.isPresent()) {
                return answer;
            }
        }
        return Optional.empty();
    }

    private boolean isElsewhere(HostInfo host) {
        return host != null && host.port() > 0 && !host.equals(self);
    }

    /** What this instance's copies of the store hold for a key. */
    private record LocalCopy(byte[] value, boolean answeredKeyPartition) {
    }

    /**
     * Looks the key up in every local copy of the latest-forecast store: only active tasks of running threads
     * when {@code activeOnly}, else any (standby replicas, and active tasks during a rebalance). The key's own
     * partition wins; another partition counts too, because a producer with another partitioner than Kafka's
     * (librdkafka's, as kcat uses unless told {@code -X partitioner=murmur2_random}) puts a key where the
     * metadata does not look for it.
     */
    private LocalCopy lookUpLocally(KafkaStreams current, String key, int partition, boolean activeOnly) {
        StateQueryRequest<byte[]> request = StateQueryRequest.inStore(latestStore)
                .withQuery(KeyQuery.<String, byte[]>withKey(key));
        StateQueryResult<byte[]> result;
        try {
            result = current.query(activeOnly ? request.requireActive() : request);
        } catch (RuntimeException notQueryableNow) {
            return new LocalCopy(null, false);
        }
        byte[] value = null;
        boolean answered = false;
        for (Map.Entry<Integer, QueryResult<byte[]>> entry : result.getPartitionResults().entrySet()) {
            QueryResult<byte[]> partitionResult = entry.getValue();
            if (partitionResult.isSuccess()) {
                boolean keyPartition = entry.getKey() == partition;
                answered |= keyPartition;
                if (partitionResult.getResult() != null && (value == null || keyPartition)) {
                    value = partitionResult.getResult();
                }
            }
        }
        return new LocalCopy(value, answered);
    }

    /** Another instance's answer from its local copies, when it had one (200 or 404). */
    private Optional<HttpResponse<String>> ask(HostInfo host, String key) {
        URI uri = URI.create(access.scheme() + "://" + host.host() + ":" + host.port() + "/forecasts/"
                + URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20") + "?" + LOCAL_ONLY_PARAMETER);
        try {
            HttpResponse<String> answer = client.send(access.authorize(HttpRequest.newBuilder(uri)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() == 200 || answer.statusCode() == 404 ? Optional.of(answer) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            LOG.debug("Instance {} did not answer for key {}: {}", host, key, e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static void answer(HttpExchange exchange, byte[] forecast, boolean stale) throws IOException {
        exchange.getResponseHeaders().set(STALE_HEADER, String.valueOf(stale));
        if (forecast == null) {
            respond(exchange, 404, JSON, "{\"error\":\"no forecast for this key\"}");
        } else {
            respond(exchange, 200, JSON, new String(forecast, StandardCharsets.UTF_8));
        }
    }

    private static void relay(HttpExchange exchange, HttpResponse<String> answer, boolean stale) throws IOException {
        boolean staleThere = answer.headers().firstValue(STALE_HEADER).map(Boolean::parseBoolean).orElse(false);
        exchange.getResponseHeaders().set(STALE_HEADER, String.valueOf(stale || staleThere));
        respond(exchange, answer.statusCode(), JSON, answer.body());
    }

    private static void unavailable(HttpExchange exchange, String why) throws IOException {
        exchange.getResponseHeaders().set("Retry-After", RETRY_AFTER_SECONDS);
        respond(exchange, 503, JSON, "{\"error\":\"" + why + "\"}");
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        if ("HEAD".equals(exchange.getRequestMethod())) {
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
            return;
        }
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
