package io.carrycast.broker;

import io.carrycast.CarrycastException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed TLS identity for 127.0.0.1 and localhost (subject {@code CN=carrycast <name>}), made with the
 * JDK's own {@code keytool}: a PKCS12 key store holding the private key and certificate, and a PKCS12 trust
 * store holding only that certificate.
 * Each has its own random password, held here and never printed. Nothing of it is kept in the source tree;
 * it is made afresh wherever a secured broker or a TLS endpoint needs one.
 *
 * @param keyStore         the key store (key and certificate)
 * @param keyStorePassword its password (also the key's)
 * @param trustStore       a trust store that trusts exactly this certificate
 * @param trustStorePassword its password
 */
public record TlsMaterial(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {

    public static final String STORE_TYPE = "PKCS12";
    private static final String ALIAS = "carrycast";
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Generates a key pair and self-signed certificate (valid 30 days) in {@code dir}, as
     * {@code <name>-keystore.p12} and {@code <name>-truststore.p12}.
     */
    public static TlsMaterial generate(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            Path keyStore = dir.resolve(name + "-keystore.p12");
            Path trustStore = dir.resolve(name + "-truststore.p12");
            Files.deleteIfExists(keyStore);
            String keyStorePassword = randomSecret();
            String trustStorePassword = randomSecret();
            runKeytool(keyStore, keyStorePassword, name);
            writeTrustStore(keyStore, keyStorePassword, trustStore, trustStorePassword);
            return new TlsMaterial(keyStore, keyStorePassword, trustStore, trustStorePassword);
        } catch (IOException | GeneralSecurityException e) {
            throw new CarrycastException("cannot make TLS key material in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** A random password: 24 URL-safe characters, 144 bits. */
    public static String randomSecret() {
        byte[] bytes = new byte[18];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /**
     * The JDK offers no public API to issue a certificate, so {@code keytool} (part of every JDK and JRE)
     * does it. The password reaches it through an environment variable ({@code -storepass:env}), not the
     * command line, where other users of the machine could read it.
     */
    private static void runKeytool(Path keyStore, String password, String name) throws IOException {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        ProcessBuilder builder = new ProcessBuilder(List.of(keytool, "-genkeypair", "-alias", ALIAS,
                "-keyalg", "EC", "-groupname", "secp256r1", "-sigalg", "SHA256withECDSA",
                "-dname", "CN=carrycast " + name, "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "30",
                "-keystore", keyStore.toString(), "-storetype", STORE_TYPE,
                "-storepass:env", "CARRYCAST_KEYTOOL_SECRET", "-keypass:env", "CARRYCAST_KEYTOOL_SECRET"));
        builder.environment().put("CARRYCAST_KEYTOOL_SECRET", password);
        builder.redirectErrorStream(true);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("keytool -genkeypair failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool ran", e);
        }
    }

    private static void writeTrustStore(Path keyStore, String keyStorePassword, Path trustStore,
                                        String trustStorePassword) throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance(STORE_TYPE);
        try (InputStream in = Files.newInputStream(keyStore)) {
            keys.load(in, keyStorePassword.toCharArray());
        }
        KeyStore trusted = KeyStore.getInstance(STORE_TYPE);
        trusted.load(null, null);
        trusted.setCertificateEntry(ALIAS, keys.getCertificate(ALIAS));
        try (OutputStream out = Files.newOutputStream(trustStore)) {
            trusted.store(out, trustStorePassword.toCharArray());
        }
    }
}
