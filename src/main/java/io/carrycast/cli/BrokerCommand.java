package io.carrycast.cli;

import io.carrycast.broker.EmbeddedKafkaBroker;
import io.carrycast.config.CarrycastConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** A real single-node Kafka broker for trying carrycast without a cluster. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Start a single-node Apache Kafka broker (KRaft) on 127.0.0.1 until interrupted.")
final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "9092", description = "Client port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Log directory, kept across restarts; default: a temporary directory deleted on exit.")
    Path dataDir;

    @Option(names = "--topics", split = ",", paramLabel = "NAME",
            description = "Topics to create if missing, e.g. events,forecasts,carrycast-dead-letter.")
    String[] topics = new String[0];

    @Option(names = "--partitions", defaultValue = "6", description = "Partitions of the topics created (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--secure", paramLabel = "DIR", description = "Require SASL_SSL with SCRAM-SHA-512 and enforce ACLs; "
            + "write the trust store and the settings of user 'carrycast' to DIR (docs/security.md).")
    Path secureDir;

    @Option(names = "--grant", paramLabel = "FILE", defaultValue = "config/carrycast.properties",
            description = "With --secure: user 'carrycast' gets the ACLs the forecaster configured by FILE needs "
                    + "(default: ${DEFAULT-VALUE}).")
    Path grantFor;

    @Override
    public Integer call() {
        CarrycastConfig forecaster = secureDir == null ? null : CarrycastConfig.load(grantFor, System.getenv());
        EmbeddedKafkaBroker broker = secureDir == null ? EmbeddedKafkaBroker.start(port, dataDir)
                : EmbeddedKafkaBroker.startSecured(port, dataDir, secureDir.resolve("broker-tls"));
        try (broker) {
            if (topics.length > 0) {
                broker.createTopics(partitions, topics);
            }
            if (secureDir != null) {
                SecuredBrokerFiles.write(broker, secureDir, forecaster, System.out);
            }
            System.out.println("Kafka broker ready: bootstrap.servers=" + broker.bootstrapServers());
            System.out.println("Data in " + broker.dataDir() + ". Stop with Ctrl-C.");
            String signal = StopSignals.awaitOne();
            System.out.println("Kafka broker stopping (" + signal + ") ...");
        }
        System.out.println("Kafka broker stopped cleanly.");
        return 0;
    }
}
