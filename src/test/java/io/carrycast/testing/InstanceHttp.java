package io.carrycast.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A carrycast instance's HTTP endpoint on loopback, as tests reach it: GET, and waiting for a health state. */
public final class InstanceHttp {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private InstanceHttp() {
    }

    public static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until {@code /health} answers {@code {"status":"STATE"}}, e.g. RUNNING once the instance holds its tasks. */
    public static void awaitHealth(int port, String state, Duration timeout) throws InterruptedException {
        String expected = "{\"status\":\"" + state + "\"}";
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "(no answer)";
        while (System.nanoTime() < deadline) {
            try {
                last = get(port, "/health").body();
                if (last.equals(expected)) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // the JVM is still starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("instance on port " + port + " never answered " + expected + "; last: " + last);
    }

    /** A loopback port that was free a moment ago. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
