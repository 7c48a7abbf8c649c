package io.carrycast.http;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Lets a request through only with {@code Authorization: Bearer <token>}; answers 401 otherwise. The token
 * is compared by its SHA-256 digest in constant time, so neither its content nor its length leaks through
 * response times; it is never logged or echoed.
 */
final class BearerTokenFilter extends Filter {

    static final String SCHEME = "Bearer ";
    private static final byte[] UNAUTHORIZED = "{\"error\":\"missing or wrong bearer token\"}".getBytes(StandardCharsets.UTF_8);

    private final byte[] expectedDigest;

    BearerTokenFilter(String token) {
        this.expectedDigest = digest(SCHEME + token);
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        if (authorization != null && MessageDigest.isEqual(digest(authorization), expectedDigest)) {
            chain.doFilter(exchange);
            return;
        }
        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"carrycast\"");
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(401, UNAUTHORIZED.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(UNAUTHORIZED);
        }
    }

    @Override
    public String description() {
        return "requires a bearer token";
    }

    private static byte[] digest(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
