package io.carrycast.cli;

import io.carrycast.CarrycastException;
import io.carrycast.app.CarrycastApplication;
import io.carrycast.app.KafkaAccessFailure;
import io.carrycast.config.CarrycastConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Runs the stream processor until SIGTERM or SIGINT, then closes Streams and the model on the main thread,
 * logs a last "stopped" line and exits 0; exits 2 when the cluster refused a login or an ACL
 * ({@link KafkaAccessFailure}), 1 when Kafka Streams stops without being asked for any other reason (it failed)
 * or cannot close in time.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the forecaster against the cluster in bootstrap.servers.")
final class RunCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(RunCommand.class);
    static final String DEFAULT_CONFIG = "config/carrycast.properties";

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file (default: " + DEFAULT_CONFIG + " under the current directory); "
                    + "CARRYCAST_* environment variables override it.")
    Path config;

    @Override
    public Integer call() {
        CarrycastConfig settings = CarrycastConfig.load(configFile(), System.getenv());
        try (StopSignals stop = StopSignals.install()) {
            CarrycastApplication application;
            try {
                application = CarrycastApplication.start(settings);
            } catch (RuntimeException e) {
                if (stop.requested()) {
                    LOG.info("carrycast stopped ({} while starting)", stop.received());
                    return 0;
                }
                throw e;
            }
            // Covers the ways out that are not SIGTERM/SIGINT (SIGHUP, -Xrs); close() is idempotent.
            Thread hook = new Thread(application::close, "carrycast-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            Optional<KafkaStreams.State> stoppedOnItsOwn = awaitStopOrSignal(application, stop);
            stop.stopInterrupting();
            application.close();
            removeHook(hook);
            if (stoppedOnItsOwn.isPresent()) {
                throwIfRefused(application, settings);
            }
            return report(stoppedOnItsOwn, stop.received(), application.closedCleanly());
        }
    }

    private Path configFile() {
        if (config != null) {
            return config;
        }
        Path fallback = Path.of(DEFAULT_CONFIG);
        if (!Files.exists(fallback)) {
            throw new CarrycastException("no configuration file: --config not given, and the default "
                    + DEFAULT_CONFIG + " is not in the current directory (" + Path.of("").toAbsolutePath()
                    + "); give --config FILE");
        }
        return fallback;
    }

    /** The cluster refused a login or an ACL: one line naming the fix, exit code 2 (a configuration error). */
    private static void throwIfRefused(CarrycastApplication application, CarrycastConfig settings) {
        Optional<KafkaAccessFailure> refused = application.fatalError()
                .flatMap(error -> KafkaAccessFailure.explain(error, settings));
        if (refused.isPresent()) {
            throw refused.get();
        }
    }

    private static Optional<KafkaStreams.State> awaitStopOrSignal(CarrycastApplication application, StopSignals stop) {
        while (!stop.requested()) {
            try {
                Optional<KafkaStreams.State> stopped = application.awaitStop(Duration.ofSeconds(1));
                if (stopped.isPresent()) {
                    return stopped;
                }
            } catch (InterruptedException signalled) {
                // the loop's condition sees the request
            }
        }
        return Optional.empty();
    }

    private static int report(Optional<KafkaStreams.State> stoppedOnItsOwn, String signal, boolean closedCleanly) {
        if (stoppedOnItsOwn.isPresent()) {
            LOG.error("carrycast stopped: Kafka Streams went to {} (the cause is logged above)", stoppedOnItsOwn.get());
            return 1;
        }
        if (!closedCleanly) {
            LOG.error("carrycast stopped ({}), but Kafka Streams did not finish closing in time; "
                    + "uncommitted work is redone on the next start", signal);
            return 1;
        }
        LOG.info("carrycast stopped ({}): Kafka Streams closed cleanly, model released", signal);
        return 0;
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDownAlready) {
            // the hook runs, finds the application closed, and returns
        }
    }
}
