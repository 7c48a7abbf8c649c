package io.carrycast.broker;

import io.carrycast.CarrycastException;
import io.carrycast.cluster.TopicSetup;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apache Kafka broker, combined broker and controller in KRaft mode, on loopback. The data lives
 * in a given directory, or in a temporary one that {@link #close} deletes. Not a mock: clients, Kafka
 * Streams and kcat talk to it over TCP like to any cluster.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final String HOST = "127.0.0.1";

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final boolean deleteOnClose;
    private final int port;
    private final int internalPort;
    private final BrokerSecurity security;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path dataDir, boolean deleteOnClose, int port,
                                int internalPort, BrokerSecurity security) {
        this.server = server;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.port = port;
        this.internalPort = internalPort;
        this.security = security;
    }

    /**
     * Formats (when new) and starts a broker, and waits until it answers.
     *
     * @param port    the client port, or 0 for a free one
     * @param dataDir where the logs live, or null for a temporary directory deleted on close
     */
    public static EmbeddedKafkaBroker start(int port, Path dataDir) {
        return start(port, dataDir, Map.of());
    }

    /**
     * Formats (when new) and starts a broker with some server settings changed, and waits until it answers.
     *
     * @param overrides server settings that replace or add to the embedded broker's own
     */
    public static EmbeddedKafkaBroker start(int port, Path dataDir, Map<String, String> overrides) {
        return start(port, dataDir, overrides, null);
    }

    /**
     * Formats (when new) and starts a secured broker (see {@link BrokerSecurity}): SASL_SSL with SCRAM-SHA-512
     * on {@code port}, ACLs enforced, the broker itself the only super user. Its TLS key material is made
     * afresh in {@code securityDir}. Create users with {@link #createUser} and grant them ACLs with
     * {@link #grant}.
     */
    public static EmbeddedKafkaBroker startSecured(int port, Path dataDir, Path securityDir) {
        return start(port, dataDir, Map.of(), BrokerSecurity.generate(securityDir));
    }

    private static EmbeddedKafkaBroker start(int port, Path dataDir, Map<String, String> overrides,
                                             BrokerSecurity security) {
        boolean temporary = dataDir == null;
        try {
            Path dir = temporary ? Files.createTempDirectory("carrycast-kafka-") : dataDir;
            Files.createDirectories(dir);
            int clientPort = port == 0 ? freePort() : requireFree(port);
            int controllerPort = freePort();
            int internalPort = security == null ? clientPort : freePort();
            Properties properties = serverProperties(dir, clientPort, controllerPort);
            if (security != null) {
                security.applyTo(properties, HOST, clientPort, internalPort, controllerPort);
            }
            properties.putAll(overrides);
            if (!Files.exists(dir.resolve("meta.properties"))) {
                format(dir);
            }
            KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(properties), Time.SYSTEM);
            server.startup();
            EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, dir, temporary, clientPort, internalPort,
                    security);
            broker.awaitReady(Duration.ofSeconds(60));
            LOG.info("Kafka broker ready at {} (data in {})", broker.bootstrapServers(), dir);
            return broker;
        } catch (IOException e) {
            throw new CarrycastException("cannot start the embedded Kafka broker: " + e.getMessage(), e);
        }
    }

    public String bootstrapServers() {
        return HOST + ":" + port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Creates topics that do not exist yet, with replication factor 1; existing ones are left as they are. */
    public void createTopics(int partitions, String... names) {
        List<NewTopic> topics = Stream.of(names).map(name -> new NewTopic(name, partitions, (short) 1)).toList();
        TopicSetup.createMissing(superUserSettings(), topics);
    }

    /**
     * Client settings with every right: on an open broker just its address; on a secured one the
     * broker's own identity on its loopback-only internal listener.
     */
    public Map<String, Object> superUserSettings() {
        return security == null ? Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers())
                : security.superUserSettings(HOST + ":" + internalPort);
    }

    /** The secured broker's security set-up; fails on an open broker. */
    public BrokerSecurity security() {
        if (security == null) {
            throw new IllegalStateException("this broker was started without security");
        }
        return security;
    }

    /** Client settings of a SCRAM user of this secured broker: SASL_SSL, trusting its certificate. */
    public Map<String, Object> clientSettings(String user, String password) {
        return security().clientSettings(bootstrapServers(), user, password);
    }

    /** Creates (or changes the password of) a SCRAM-SHA-512 user in the cluster's metadata. */
    public void createUser(String user, String password) {
        security();
        adminCall("create SCRAM user " + user, admin -> admin.alterUserScramCredentials(List.of(
                new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192),
                        password))).all());
    }

    /** Adds ACLs (the authorizer applies them within moments; callers that race it should retry). */
    public void grant(Collection<AclBinding> acls) {
        adminCall("create ACLs", admin -> admin.createAcls(acls).all());
    }

    private void adminCall(String what, Function<Admin, KafkaFuture<Void>> call) {
        try (Admin admin = Admin.create(superUserSettings())) {
            call.apply(admin).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new CarrycastException("cannot " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CarrycastException("interrupted: " + what, e);
        }
    }

    /** Blocks until the broker stops (it stops when {@link #close} is called from another thread). */
    public void awaitShutdown() {
        server.awaitShutdown();
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Object> settings = new HashMap<>(superUserSettings());
        settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
        try (Admin admin = Admin.create(settings)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    if (System.nanoTime() > deadline) {
                        throw new CarrycastException("embedded Kafka broker did not answer within " + timeout, e);
                    }
                }
                Thread.sleep(200);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CarrycastException("interrupted while waiting for the embedded Kafka broker", e);
        }
    }

    private static Properties serverProperties(Path dir, int clientPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("num.partitions", "1");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        // Replays of historical data carry old record timestamps; time-based retention would delete them
        // within minutes of arrival (and move consumers' offsets out of range).
        p.put("log.retention.ms", "-1");
        // One node: a joining Streams app need not wait for more members before its first rebalance, under
        // the classic protocol or the streams protocol (group.protocol=streams).
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.streams.initial.rebalance.delay.ms", "0");
        return p;
    }

    private static void format(Path dir) {
        try (PrintStream quiet = new PrintStream(OutputStream.nullOutputStream())) {
            new Formatter()
                    .setPrintStream(quiet)
                    .setNodeId(1)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(dir.toString()))
                    .setMetadataLogDirectory(dir.toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setControllerListenerName("CONTROLLER")
                    .run();
        } catch (Exception e) {
            throw new CarrycastException("cannot format Kafka storage in " + dir + ": " + e.getMessage(), e);
        }
    }

    /**
     * Kafka's own failure to bind logs a long trail of errors and stack traces before it gives up; a port that
     * is taken is an ordinary mistake and gets one line.
     */
    private static int requireFree(int port) throws IOException {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        } catch (BindException e) {
            throw new CarrycastException("cannot start the Kafka broker: " + HOST + ":" + port
                    + " is already in use (another broker?); choose another port");
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            return socket.getLocalPort();
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
