package io.carrycast.cli;

import io.carrycast.CarrycastApplication;
import io.carrycast.config.CarrycastConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
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
        CountDownLatch stopped = new CountDownLatch(1);
        application.streams().setStateListener((newState, oldState) -> {
            if (newState == KafkaStreams.State.ERROR || newState == KafkaStreams.State.NOT_RUNNING) {
                stopped.countDown();
            }
        });
        Thread shutdown = new Thread(() -> {
            application.close();
            stopped.countDown();
        }, "carrycast-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        stopped.await();
        boolean failed = application.streams().state() == KafkaStreams.State.ERROR;
        if (failed) {
            application.close();
        }
        return failed ? 1 : 0;
    }
}
