package io.carrycast.app;

import io.carrycast.CarrycastException;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.config.RequiredAcls;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TransactionalIdAuthorizationException;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The cluster refused carrycast: a failed login (SASL or TLS) or a missing ACL, told as one line that names
 * the setting or the ACL to fix. Kafka's clients and Kafka Streams raise these as fatal errors (a send
 * refused for lack of an ACL is never handed to a production exception handler, so the event whose
 * forecast or dead-letter record it was is not committed and is read again after the fix). The
 * {@code run} command exits with code 2 on one, as for any configuration error. Secrets never appear:
 * the line names users, topics, groups and files, never a password.
 */
public final class KafkaAccessFailure extends CarrycastException {
    private static final long serialVersionUID = 1L;
    private static final Pattern TOPIC_NAME = Pattern.compile("[A-Za-z0-9._-]+");

    private KafkaAccessFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /**
     * The access failure in {@code error}'s cause chain, explained for the settings in {@code config};
     * empty when {@code error} is something else.
     */
    public static Optional<KafkaAccessFailure> explain(Throwable error, CarrycastConfig config) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            Optional<String> message = describe(cause, error, config);
            if (message.isPresent()) {
                return Optional.of(new KafkaAccessFailure(message.get(), error));
            }
        }
        return Optional.empty();
    }

    /**
     * Whether the exception class named {@code className} is a refusal this class explains: a failed login
     * or a missing ACL, by Kafka's exception types.
     */
    public static boolean isRefusal(String className) {
        try {
            Class<?> type = Class.forName(className, false, KafkaAccessFailure.class.getClassLoader());
            return AuthenticationException.class.isAssignableFrom(type) || AuthorizationException.class.isAssignableFrom(type);
        } catch (ClassNotFoundException | LinkageError unknown) {
            return false;
        }
    }

    /** {@code error} explained when the cluster refused access, else {@code error} itself. */
    public static RuntimeException explainedOr(RuntimeException error, CarrycastConfig config) {
        Optional<KafkaAccessFailure> refused = explain(error, config);
        return refused.isPresent() ? refused.get() : error;
    }

    private static Optional<String> describe(Throwable error, Throwable whole, CarrycastConfig config) {
        String principal = RequiredAcls.saslPrincipal(config).orElse("<principal>");
        if (error instanceof SaslAuthenticationException) {
            return Optional.of(saslLogin(config, error));
        } else if (error instanceof SslAuthenticationException) {
            return Optional.of(tlsHandshake(config, error));
        } else if (error instanceof TopicAuthorizationException topics) {
            Set<String> names = topics.unauthorizedTopics().isEmpty() ? topicsNamedIn(whole, config) : topics.unauthorizedTopics();
            return Optional.of(topicDenied(config, principal, names));
        } else if (error instanceof GroupAuthorizationException group) {
            String id = group.groupId() == null ? RequiredAcls.applicationId(config) : group.groupId();
            return Optional.of("Kafka denied " + principal + " the consumer group '" + id + "' (application.id); allow it: "
                    + RequiredAcls.command(principal, new ResourcePattern(ResourceType.GROUP, id, PatternType.LITERAL),
                    List.of(AclOperation.READ)));
        } else if (error instanceof TransactionalIdAuthorizationException) {
            String prefix = RequiredAcls.applicationId(config);
            return Optional.of("Kafka denied " + principal + " its transactional ids (processing.guarantee=exactly_once_v2 "
                    + "uses ids prefixed '" + prefix + "'); allow them: " + RequiredAcls.command(principal,
                    new ResourcePattern(ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED),
                    List.of(AclOperation.WRITE)));
        } else if (error instanceof ClusterAuthorizationException) {
            return Optional.of("Kafka denied " + principal + " a cluster operation (" + error.getMessage()
                    + "); docs/security.md lists the ACLs carrycast needs");
        } else if (error instanceof AuthorizationException || error instanceof AuthenticationException) {
            return Optional.of("Kafka refused access: " + error.getMessage()
                    + "; docs/security.md lists the settings and ACLs carrycast needs");
        }
        return Optional.empty();
    }

    private static String saslLogin(CarrycastConfig config, Throwable error) {
        String user = RequiredAcls.saslPrincipal(config).map(p -> "user '" + p.substring("User:".length()) + "'")
                .orElse("the user in sasl.jaas.config");
        return "Kafka at " + setting(config, CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) + " refused the login of "
                + user + " with " + setting(config, SaslConfigs.SASL_MECHANISM) + " (" + error.getMessage()
                + "); check the user name and password in sasl.jaas.config (or CARRYCAST_SASL_JAAS_CONFIG) and sasl.mechanism";
    }

    private static String tlsHandshake(CarrycastConfig config, Throwable error) {
        String broker = setting(config, CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
        Throwable root = error;
        boolean certificateRefused = false;
        while (root.getCause() != null) {
            root = root.getCause();
            certificateRefused |= root instanceof CertificateException || root instanceof CertPathValidatorException
                    || root instanceof CertPathBuilderException;
        }
        String rootMessage = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        if (rootMessage.contains("subject alternative name") || rootMessage.contains("No name matching")) {
            return "TLS handshake with Kafka at " + broker + " failed: the broker's certificate does not name the host "
                    + "in bootstrap.servers (" + rootMessage + "); connect by a name the certificate holds, or have "
                    + "the certificate reissued with it";
        }
        if (certificateRefused) {
            Object trustStore = config.streamsProperties().get(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG);
            String trustedBy = trustStore == null ? "the JVM's default trust store (ssl.truststore.location is not set)"
                    : "ssl.truststore.location=" + trustStore;
            return "TLS handshake with Kafka at " + broker + " failed: the broker's certificate is not trusted by "
                    + trustedBy + "; add the certificate of the CA that signed it to that trust store";
        }
        return "TLS handshake with Kafka at " + broker + " failed (" + rootMessage + "); check "
                + "ssl.truststore.location, ssl.keystore.location and ssl.endpoint.identification.algorithm";
    }

    private static String topicDenied(CarrycastConfig config, String principal, Set<String> topics) {
        StringBuilder message = new StringBuilder("Kafka denied ").append(principal).append(" access to topic");
        message.append(topics.size() == 1 ? " " : "s ").append(String.join(", ", topics.stream().map(t -> "'" + t + "'").toList()));
        List<AclBinding> required = RequiredAcls.of(principal, config);
        for (String topic : topics) {
            ResourcePattern pattern = required.stream().map(AclBinding::pattern)
                    .filter(p -> p.resourceType() == ResourceType.TOPIC && matches(p, topic)).findFirst()
                    .orElse(new ResourcePattern(ResourceType.TOPIC, topic, PatternType.LITERAL));
            List<AclOperation> operations = required.stream().filter(acl -> acl.pattern().equals(pattern))
                    .map(acl -> acl.entry().operation()).toList();
            message.append(topics.size() == 1 ? "" : "; for '" + topic + "'").append(" (").append(role(config, topic))
                    .append("); allow it: ").append(RequiredAcls.command(principal, pattern,
                            operations.isEmpty() ? List.of(AclOperation.DESCRIBE) : operations));
        }
        return message.toString();
    }

    /**
     * A refused topic creation reports no topic names ("Authorization failed."); Kafka Streams' wrapping
     * message names the topic ("Could not create topic X.").
     */
    private static Set<String> topicsNamedIn(Throwable error, CarrycastConfig config) {
        Set<String> names = new TreeSet<>();
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            Matcher words = TOPIC_NAME.matcher(String.valueOf(cause.getMessage()));
            while (words.find()) {
                String word = words.group().replaceAll("\\.+$", "");
                if (word.startsWith(RequiredAcls.internalTopicPrefix(config)) || word.equals(config.inputTopic())
                        || word.equals(config.outputTopic()) || word.equals(config.deadLetterTopic())) {
                    names.add(word);
                }
            }
        }
        return names.isEmpty() ? Set.of(RequiredAcls.internalTopicPrefix(config) + "*") : names;
    }

    private static String role(CarrycastConfig config, String topic) {
        if (topic.equals(config.inputTopic())) {
            return CarrycastConfig.INPUT_TOPIC_CONFIG;
        } else if (topic.equals(config.outputTopic())) {
            return CarrycastConfig.OUTPUT_TOPIC_CONFIG;
        } else if (topic.equals(config.deadLetterTopic())) {
            return CarrycastConfig.DEAD_LETTER_TOPIC_CONFIG;
        }
        return topic.startsWith(RequiredAcls.internalTopicPrefix(config)) ? "a Kafka Streams internal topic" : "a topic";
    }

    private static boolean matches(ResourcePattern pattern, String topic) {
        return pattern.patternType() == PatternType.PREFIXED ? topic.startsWith(pattern.name()) : topic.equals(pattern.name());
    }

    private static String setting(CarrycastConfig config, String name) {
        Object value = config.streamsProperties().get(name);
        return value == null ? "(" + name + " not set)" : value.toString();
    }
}
