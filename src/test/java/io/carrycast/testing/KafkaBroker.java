package io.carrycast.testing;

import io.carrycast.broker.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real embedded broker for the whole test run, started by the first test class that asks for it and
 * stopped when the run ends. Use with {@code @ExtendWith(KafkaBroker.class)} and {@link #bootstrapServers()}.
 */
public final class KafkaBroker implements BeforeAllCallback {

    private static EmbeddedKafkaBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(KafkaBroker.class, k -> start(), Stopper.class);
    }

    private static synchronized Stopper start() {
        broker = EmbeddedKafkaBroker.start(0, null);
        return new Stopper();
    }

    public static String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public static EmbeddedKafkaBroker broker() {
        return broker;
    }

    /** Closes the broker when JUnit closes the root store. */
    static final class Stopper implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() {
            broker.close();
        }
    }
}
