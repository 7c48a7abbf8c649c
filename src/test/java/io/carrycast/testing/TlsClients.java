package io.carrycast.testing;

import io.carrycast.broker.TlsMaterial;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.security.KeyStore;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** HTTPS clients for tests that trust exactly a {@link TlsMaterial}'s certificate. */
public final class TlsClients {

    private TlsClients() {
    }

    public static HttpClient trusting(TlsMaterial tls) {
        try {
            KeyStore trusted = KeyStore.getInstance(TlsMaterial.STORE_TYPE);
            try (InputStream in = Files.newInputStream(tls.trustStore())) {
                trusted.load(in, tls.trustStorePassword().toCharArray());
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return HttpClient.newBuilder().sslContext(context).build();
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the test trust store " + tls.trustStore(), e);
        }
    }
}
