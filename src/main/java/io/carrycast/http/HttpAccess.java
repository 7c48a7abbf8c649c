package io.carrycast.http;

import com.sun.net.httpserver.HttpContext;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.carrycast.CarrycastException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Who may use the HTTP endpoint, and over what: an optional bearer token on the data endpoints (and on
 * {@code /metrics} when asked), and optional TLS. Instances forward queries to each other with the same
 * token and scheme. The token and the store passwords are never logged.
 */
public final class HttpAccess {

    private final String token;
    private final boolean metricsNeedToken;
    private final SSLContext serverTls;
    private final SSLContext clientTls;

    private HttpAccess(String token, boolean metricsNeedToken, SSLContext serverTls, SSLContext clientTls) {
        this.token = token;
        this.metricsNeedToken = metricsNeedToken;
        this.serverTls = serverTls;
        this.clientTls = clientTls;
    }

    /** Plain HTTP, no token. */
    public static HttpAccess open() {
        return new HttpAccess("", false, null, null);
    }

    /**
     * @param token              the bearer token, or empty for none
     * @param metricsNeedToken   whether {@code /metrics} needs the token too
     * @param keyStore           key store for HTTPS, or null for plain HTTP
     * @param trustStore         trust store for forwarding over HTTPS, or null for the JVM's default
     */
    public static HttpAccess of(String token, boolean metricsNeedToken, Path keyStore, String keyStorePassword,
                                Path trustStore, String trustStorePassword) {
        SSLContext server = keyStore == null ? null : serverContext(keyStore, keyStorePassword);
        SSLContext client = trustStore == null ? null : clientContext(trustStore, trustStorePassword);
        return new HttpAccess(token, metricsNeedToken, server, client);
    }

    /** An HTTPS server when a key store is set, else a plain HTTP one; neither started. */
    HttpServer createServer(InetSocketAddress address, int backlog) throws IOException {
        if (serverTls == null) {
            return HttpServer.create(address, backlog);
        }
        HttpsServer server = HttpsServer.create(address, backlog);
        server.setHttpsConfigurator(new HttpsConfigurator(serverTls));
        return server;
    }

    /** Puts a data endpoint behind the token, when there is one. */
    void protect(HttpContext context) {
        if (!token.isEmpty()) {
            context.getFilters().add(new BearerTokenFilter(token));
        }
    }

    /** Puts {@code /metrics} behind the token, when there is one and the settings ask for it. */
    void protectMetrics(HttpContext context) {
        if (metricsNeedToken) {
            protect(context);
        }
    }

    String scheme() {
        return serverTls == null ? "http" : "https";
    }

    boolean requiresToken() {
        return !token.isEmpty();
    }

    /** The client for forwarding to other instances, which serve the same scheme. */
    HttpClient forwardingClient(Duration connectTimeout) {
        HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(connectTimeout);
        if (clientTls != null) {
            builder.sslContext(clientTls);
        }
        return builder.build();
    }

    /** Adds the token to a request to another instance. */
    HttpRequest.Builder authorize(HttpRequest.Builder request) {
        return token.isEmpty() ? request : request.header("Authorization", BearerTokenFilter.SCHEME + token);
    }

    private static SSLContext serverContext(Path keyStore, String password) {
        try {
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(load(keyStore, password), password.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new CarrycastException("carrycast.http.ssl.keystore.location=" + keyStore + ": cannot load the key store ("
                    + e.getMessage() + "); check the file and carrycast.http.ssl.keystore.password", e);
        }
    }

    private static SSLContext clientContext(Path trustStore, String password) {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(load(trustStore, password));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new CarrycastException("carrycast.http.ssl.truststore.location=" + trustStore
                    + ": cannot load the trust store (" + e.getMessage()
                    + "); check the file and carrycast.http.ssl.truststore.password", e);
        }
    }

    /** PKCS12 or JKS, whichever the file is, loaded. */
    private static KeyStore load(Path file, String password) throws IOException, GeneralSecurityException {
        if (!Files.isReadable(file)) {
            throw new IOException("no readable file there");
        }
        return KeyStore.getInstance(file.toFile(), password.toCharArray());
    }
}
