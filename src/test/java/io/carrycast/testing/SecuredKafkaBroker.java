package io.carrycast.testing;

import io.carrycast.broker.EmbeddedKafkaBroker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One secured embedded broker (SASL_SSL with SCRAM-SHA-512, ACLs enforced) for the whole test run, started
 * by the first test class that asks for it and stopped when the run ends. Its TLS key material lives in a
 * temporary directory deleted with it. Use with {@code @ExtendWith(SecuredKafkaBroker.class)}.
 */
public final class SecuredKafkaBroker implements BeforeAllCallback {

    private static EmbeddedKafkaBroker broker;
    private static Path securityDir;

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(SecuredKafkaBroker.class, k -> start(), Stopper.class);
    }

    private static synchronized Stopper start() {
        try {
            securityDir = Files.createTempDirectory("carrycast-tls-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        broker = EmbeddedKafkaBroker.startSecured(0, null, securityDir);
        return new Stopper();
    }

    public static EmbeddedKafkaBroker broker() {
        return broker;
    }

    /** Closes the broker and deletes its key material when JUnit closes the root store. */
    static final class Stopper implements ExtensionContext.Store.CloseableResource, AutoCloseable {
        @Override
        public void close() throws IOException {
            broker.close();
            try (Stream<Path> paths = Files.walk(securityDir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
