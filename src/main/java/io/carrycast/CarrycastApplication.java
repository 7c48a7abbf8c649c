package io.carrycast;

import io.carrycast.broker.TopicSetup;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.forecast.Forecaster;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.topology.ForecastTopology;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import java.util.Properties;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running forecaster: the model runner and the Kafka Streams client around the topology. Owns both;
 * {@link #close} stops Streams first (which commits and flushes the stores), then releases the model's
 * native memory.
 */
public final class CarrycastApplication implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CarrycastApplication.class);

    private final RecurrentModelRunner runner;
    private final KafkaStreams streams;
    private final CountDownLatch stopped;

    private CarrycastApplication(RecurrentModelRunner runner, KafkaStreams streams, CountDownLatch stopped) {
        this.runner = runner;
        this.streams = streams;
        this.stopped = stopped;
    }

    /** Loads and checks the model, creates topics when configured to, and starts Kafka Streams. */
    public static CarrycastApplication start(CarrycastConfig config) {
        ModelBundle bundle = ModelBundle.load(config.modelDir());
        RecurrentModelRunner runner = RecurrentModelRunner.open(bundle,
                new RunnerOptions(config.inferenceThreads()));
        try {
            LOG.info("Model {} version {} ({}, {} x{} hidden {}, fingerprint {}) from {}", bundle.card().name(),
                    bundle.card().version(), bundle.card().mode().cardName(), bundle.card().network().cell().cardName(),
                    bundle.card().network().layers(), bundle.card().network().hidden(), bundle.fingerprintHex(),
                    bundle.directory());
            Properties properties = config.streamsProperties();
            if (config.createTopics()) {
                createTopics(config, properties);
            }
            KafkaStreams streams = new KafkaStreams(ForecastTopology.build(config, new Forecaster(runner)), properties);
            CountDownLatch stopped = new CountDownLatch(1);
            streams.setStateListener((newState, oldState) -> {
                LOG.info("Kafka Streams {} -> {}", oldState, newState);
                if (newState == KafkaStreams.State.ERROR || newState == KafkaStreams.State.NOT_RUNNING) {
                    stopped.countDown();
                }
            });
            streams.start();
            return new CarrycastApplication(runner, streams, stopped);
        } catch (RuntimeException e) {
            runner.close();
            throw e;
        }
    }

    public KafkaStreams streams() {
        return streams;
    }

    /** Blocks until Kafka Streams has stopped (closed, or failed), and returns the state it stopped in. */
    public KafkaStreams.State awaitStop() throws InterruptedException {
        stopped.await();
        return streams.state();
    }

    /** Waits until Streams is RUNNING; fails if it stops or errs first, or on timeout. */
    public void awaitRunning(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            KafkaStreams.State state = streams.state();
            if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.NOT_RUNNING
                    || state == KafkaStreams.State.PENDING_ERROR) {
                throw new CarrycastException("Kafka Streams stopped while starting: " + state);
            }
            if (System.nanoTime() > deadline) {
                throw new CarrycastException("Kafka Streams not RUNNING after " + timeout + ": " + state);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CarrycastException("interrupted while waiting for Kafka Streams", e);
            }
        }
    }

    @Override
    public void close() {
        try {
            // Leaving the group hands this instance's partitions to the others at once, instead of after the
            // session timeout: a clean stop should not pause those keys' forecasts for 45 s.
            if (!streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(60)))) {
                LOG.warn("Kafka Streams did not stop within 60 s");
            }
        } finally {
            runner.close();
        }
    }

    private static void createTopics(CarrycastConfig config, Properties properties) {
        Optional<Short> replication = config.topicReplicationFactor() < 0
                ? Optional.empty() : Optional.of(config.topicReplicationFactor());
        List<NewTopic> topics = Stream.of(config.inputTopic(), config.outputTopic(), config.deadLetterTopic())
                .map(name -> new NewTopic(name, Optional.of(config.topicPartitions()), replication)).toList();
        List<String> created = TopicSetup.createMissing(
                new StreamsConfig(properties).getAdminConfigs("carrycast-topic-setup"), topics);
        if (!created.isEmpty()) {
            LOG.info("Created topics {} with {} partitions", created, config.topicPartitions());
        }
    }
}
