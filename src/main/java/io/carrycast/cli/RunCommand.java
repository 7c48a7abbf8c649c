package io.carrycast.cli;

import io.carrycast.CarrycastApplication;
import io.carrycast.KafkaAccessFailure;
import io.carrycast.config.CarrycastConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.streams.KafkaStreams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the stream processor until SIGTERM/SIGINT, then closes Streams and the model cleanly. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the forecaster against the cluster in bootstrap.servers.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "config/carrycast.properties",
            description = "Properties file (default: ${DEFAULT-VALUE}); CARRYCAST_* environment variables override it.")
    Path config;

    @Override
    public Integer call() throws InterruptedException {
        CarrycastConfig settings = CarrycastConfig.load(config, System.getenv());
        CarrycastApplication application = CarrycastApplication.start(settings);
        Runtime.getRuntime().addShutdownHook(new Thread(application::close, "carrycast-shutdown"));
        KafkaStreams.State finalState = application.awaitStop();
        if (finalState == KafkaStreams.State.ERROR) {
            application.close();
            Optional<KafkaAccessFailure> refused = application.fatalError()
                    .flatMap(error -> KafkaAccessFailure.explain(error, settings));
            if (refused.isPresent()) {
                throw refused.get();
            }
            return 1;
        }
        return 0;
    }
}
