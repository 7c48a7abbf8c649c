package io.carrycast.cli;

import io.carrycast.broker.EmbeddedKafkaBroker;
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

    @Override
    public Integer call() {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(port, dataDir);
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "broker-shutdown"));
        if (topics.length > 0) {
            broker.createTopics(partitions, topics);
        }
        System.out.println("Kafka broker ready: bootstrap.servers=" + broker.bootstrapServers());
        System.out.println("Data in " + broker.dataDir() + ". Stop with Ctrl-C.");
        broker.awaitShutdown();
        return 0;
    }
}
