package io.carrycast.cluster;

import io.carrycast.CarrycastException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks a Kafka cluster to describe itself before an application commits to it. Kafka's clients retry an
 * unreachable cluster forever and only say so at DEBUG/WARN from their network layer, so without this a
 * forecaster started against a wrong address waits in silence. Every few seconds it logs which address
 * it cannot reach and why; after the wait it gives up with one message saying the same.
 */
public final class ClusterProbe {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterProbe.class);
    private static final Duration ATTEMPT = Duration.ofSeconds(5);
    private static final Duration REPORT_EVERY = Duration.ofSeconds(5);
    private static final int TCP_CHECK_MS = 2000;

    private ClusterProbe() {
    }

    /**
     * Returns once the cluster answers a describe-cluster request.
     *
     * @param adminSettings client settings (bootstrap servers and security) of an admin client
     * @param wait          how long to keep trying
     * @throws CarrycastException when the cluster did not answer within {@code wait}, refused authentication,
     *                            or the calling thread was interrupted
     */
    public static void awaitReachable(Map<String, Object> adminSettings, Duration wait) {
        String servers = String.valueOf(adminSettings.get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG))
                .replace("[", "").replace("]", "").replace(" ", "");
        long start = System.nanoTime();
        long deadline = start + wait.toNanos();
        long nextReport = start;
        Map<String, Object> settings = new HashMap<>(adminSettings);
        settings.put(AdminClientConfig.CLIENT_ID_CONFIG, "carrycast-cluster-probe");
        Admin admin = null;
        try {
            while (true) {
                long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                int attemptMs = (int) Math.max(1, Math.min(ATTEMPT.toMillis(), remainingMs));
                String failure;
                if (admin == null && !anyResolvable(servers)) {
                    // Kafka's clients refuse to be created when no bootstrap name resolves; in a container
                    // starting beside its broker the name often appears a little later.
                    failure = whyUnreachable(servers, null);
                } else {
                    admin = admin == null ? Admin.create(settings) : admin;
                    failure = describe(admin, servers, attemptMs);
                }
                if (failure == null) {
                    return;
                }
                long now = System.nanoTime();
                if (now >= deadline) {
                    throw new CarrycastException("cannot reach the Kafka cluster at " + servers + " within "
                            + seconds(wait.toNanos()) + " (" + failure + "); check bootstrap.servers and that the "
                            + "brokers are up");
                }
                if (now >= nextReport) {
                    LOG.warn("Cannot reach the Kafka cluster at {} ({}); retrying for {} more", servers, failure,
                            seconds(deadline - now));
                    nextReport = now + REPORT_EVERY.toNanos();
                }
                Thread.sleep(Math.min(500, TimeUnit.NANOSECONDS.toMillis(deadline - now) + 1));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CarrycastException("interrupted while waiting for the Kafka cluster at " + servers, e);
        } catch (KafkaException e) {
            throw new CarrycastException("cannot connect to the Kafka cluster at " + servers + ": " + e.getMessage(), e);
        } finally {
            if (admin != null) {
                // A call still pending (the one an interrupt cut short) would hold a plain close() until it times out.
                admin.close(Duration.ZERO);
            }
        }
    }

    private static boolean anyResolvable(String servers) {
        for (String address : servers.split(",")) {
            String host = Utils.getHost(address);
            if (host != null && !new InetSocketAddress(host, 0).isUnresolved()) {
                return true;
            }
        }
        return false;
    }

    /** Null when the cluster answered, else why not. */
    private static String describe(Admin admin, String servers, int timeoutMs) throws InterruptedException {
        try {
            Collection<Node> nodes = admin.describeCluster(new DescribeClusterOptions().timeoutMs(timeoutMs))
                    .nodes().get(timeoutMs + 1000L, TimeUnit.MILLISECONDS);
            LOG.info("Kafka cluster at {} answered: {} broker(s)", servers, nodes.size());
            return null;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AuthenticationException refused) {
                throw new CarrycastException("the Kafka cluster at " + servers + " refused authentication: "
                        + refused.getMessage(), refused);
            }
            return whyUnreachable(servers, e.getCause());
        } catch (TimeoutException e) {
            return whyUnreachable(servers, e);
        }
    }

    /**
     * The admin client only says it timed out; a plain TCP connection to each bootstrap address tells a
     * closed port from an unknown host from a silent one. When TCP works, the client's own reason stands
     * (a TLS or protocol mismatch, a broker that is up but not ready); it is null when no client exists yet.
     */
    private static String whyUnreachable(String servers, Throwable clientFailure) {
        List<String> reasons = new ArrayList<>();
        for (String address : servers.split(",")) {
            String host = Utils.getHost(address);
            Integer port = Utils.getPort(address);
            if (host == null || port == null) {
                reasons.add(address + ": not host:port");
                continue;
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), TCP_CHECK_MS);
                reasons.add(address + ": port open, but no Kafka answer" + clientReason(clientFailure));
            } catch (UnknownHostException e) {
                reasons.add(address + ": unknown host");
            } catch (SocketTimeoutException e) {
                reasons.add(address + ": no answer within " + TCP_CHECK_MS + " ms");
            } catch (IOException e) {
                reasons.add(address + ": " + (e.getMessage() == null ? e.getClass().getSimpleName()
                        : e.getMessage().toLowerCase(Locale.ROOT)));
            }
        }
        return String.join("; ", reasons);
    }

    private static String clientReason(Throwable clientFailure) {
        if (clientFailure == null) {
            return "";
        } else if (clientFailure instanceof TimeoutException
                || clientFailure instanceof org.apache.kafka.common.errors.TimeoutException) {
            return " (timed out)";
        }
        return " (" + clientFailure + ")";
    }

    private static String seconds(long nanos) {
        return Math.max(0, Math.round(nanos / 1e9)) + " s";
    }
}
