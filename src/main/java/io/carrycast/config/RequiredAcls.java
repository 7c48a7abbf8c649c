package io.carrycast.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The ACLs carrycast needs on a cluster that enforces them, derived from its settings, and their
 * {@code kafka-acls.sh} form. The set is the smallest one {@code SecuredClusterIT} found to work: a
 * forecaster holding exactly these forecasts as on an open cluster, and one lacking the input topic's
 * Read, the output topic's Write, the group's Read or the Write on a dead-letter topic outside the prefix
 * stops with a message naming it.
 *
 * <ul>
 *   <li>Read on the input topic; Write on the output and dead-letter topics.</li>
 *   <li>Read on the consumer group named by {@code application.id}.</li>
 *   <li>Create, Read and Write on topics prefixed {@code <application.id>-} (the state changelogs, and the
 *       repartition topic when {@code carrycast.key.field} is set, which Kafka Streams also purges: Delete).</li>
 *   <li>Under {@code exactly_once_v2}: Write on transactional ids prefixed {@code application.id}.</li>
 *   <li>With {@code carrycast.topics.create=true}: Create on the input, output and dead-letter topics.</li>
 * </ul>
 * A topic under the {@code <application.id>-} prefix (the default {@code carrycast-dead-letter}) gets no
 * grant of its own for what the prefix already allows.
 */
public final class RequiredAcls {

    private static final Pattern JAAS_USERNAME = Pattern.compile("username\\s*=\\s*\"([^\"]*)\"");

    private RequiredAcls() {
    }

    /** The ACLs {@code principal} (e.g. {@code User:carrycast}) needs to run with {@code config}. */
    public static List<AclBinding> of(String principal, CarrycastConfig config) {
        String applicationId = applicationId(config);
        List<AclBinding> acls = new ArrayList<>();
        acls.add(allow(principal, topic(config.inputTopic()), AclOperation.READ));
        acls.add(allow(principal, topic(config.outputTopic()), AclOperation.WRITE));
        acls.add(allow(principal, topic(config.deadLetterTopic()), AclOperation.WRITE));
        acls.add(allow(principal, new ResourcePattern(ResourceType.GROUP, applicationId, PatternType.LITERAL),
                AclOperation.READ));
        ResourcePattern internalTopics = new ResourcePattern(ResourceType.TOPIC, internalTopicPrefix(config),
                PatternType.PREFIXED);
        acls.add(allow(principal, internalTopics, AclOperation.CREATE));
        acls.add(allow(principal, internalTopics, AclOperation.READ));
        acls.add(allow(principal, internalTopics, AclOperation.WRITE));
        if (config.keyField() != null) {
            acls.add(allow(principal, internalTopics, AclOperation.DELETE));
        }
        if (isExactlyOnce(config)) {
            acls.add(allow(principal, new ResourcePattern(ResourceType.TRANSACTIONAL_ID, applicationId,
                    PatternType.PREFIXED), AclOperation.WRITE));
        }
        if (config.createTopics()) {
            for (String name : List.of(config.inputTopic(), config.outputTopic(), config.deadLetterTopic())) {
                acls.add(allow(principal, topic(name), AclOperation.CREATE));
            }
        }
        // A literal grant that a prefixed one already makes (the default carrycast-dead-letter under the
        // carrycast- prefix) would promise a refusal that cannot happen when it alone is missing.
        return acls.stream().filter(acl -> !coveredByAPrefix(acl, acls)).toList();
    }

    private static boolean coveredByAPrefix(AclBinding acl, List<AclBinding> acls) {
        ResourcePattern pattern = acl.pattern();
        return pattern.patternType() == PatternType.LITERAL && acls.stream().anyMatch(other ->
                other.pattern().patternType() == PatternType.PREFIXED
                        && other.pattern().resourceType() == pattern.resourceType()
                        && pattern.name().startsWith(other.pattern().name())
                        && other.entry().operation() == acl.entry().operation());
    }

    /** The ACLs of {@link #of} as {@code kafka-acls.sh} commands, one per resource, for pasting. */
    public static List<String> kafkaAclsCommands(String principal, CarrycastConfig config) {
        Map<ResourcePattern, List<AclOperation>> byResource = new LinkedHashMap<>();
        for (AclBinding acl : of(principal, config)) {
            byResource.computeIfAbsent(acl.pattern(), k -> new ArrayList<>()).add(acl.entry().operation());
        }
        List<String> commands = new ArrayList<>();
        byResource.forEach((pattern, operations) -> commands.add(command(principal, pattern, operations)));
        return commands;
    }

    /** One {@code kafka-acls.sh} command granting {@code operations} on {@code pattern} to {@code principal}. */
    public static String command(String principal, ResourcePattern pattern, List<AclOperation> operations) {
        StringBuilder command = new StringBuilder("kafka-acls.sh --bootstrap-server \"$KAFKA\" "
                + "--command-config admin.properties --add --allow-principal ").append(principal);
        operations.forEach(operation -> command.append(" --operation ").append(operationName(operation)));
        switch (pattern.resourceType()) {
            case TOPIC -> command.append(" --topic ").append(pattern.name());
            case GROUP -> command.append(" --group ").append(pattern.name());
            case TRANSACTIONAL_ID -> command.append(" --transactional-id ").append(pattern.name());
            case CLUSTER -> command.append(" --cluster");
            default -> throw new IllegalArgumentException("no kafka-acls.sh option for " + pattern.resourceType());
        }
        if (pattern.patternType() == PatternType.PREFIXED) {
            command.append(" --resource-pattern-type prefixed");
        }
        return command.toString();
    }

    /**
     * The principal Kafka sees for a SASL user named in {@code sasl.jaas.config} ({@code User:<username>}),
     * when the settings name one; GSSAPI, OAUTHBEARER and TLS client certificates map to principals the
     * settings do not show.
     */
    public static Optional<String> saslPrincipal(CarrycastConfig config) {
        Object jaas = config.streamsProperties().get(SaslConfigs.SASL_JAAS_CONFIG);
        String text = jaas instanceof Password password ? password.value() : jaas == null ? "" : jaas.toString();
        Matcher username = JAAS_USERNAME.matcher(text);
        return username.find() ? Optional.of("User:" + username.group(1)) : Optional.empty();
    }

    /** Kafka Streams names its internal topics {@code <application.id>-<name>-changelog|repartition}. */
    public static String internalTopicPrefix(CarrycastConfig config) {
        return applicationId(config) + "-";
    }

    public static String applicationId(CarrycastConfig config) {
        return (String) config.streamsProperties().get(StreamsConfig.APPLICATION_ID_CONFIG);
    }

    public static boolean isExactlyOnce(CarrycastConfig config) {
        return StreamsConfig.EXACTLY_ONCE_V2.equals(config.streamsProperties().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG));
    }

    /** {@code IDEMPOTENT_WRITE} → {@code IdempotentWrite}, as {@code kafka-acls.sh --operation} spells it. */
    private static String operationName(AclOperation operation) {
        StringBuilder name = new StringBuilder();
        for (String word : operation.name().split("_")) {
            name.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return name.toString();
    }

    private static ResourcePattern topic(String name) {
        return new ResourcePattern(ResourceType.TOPIC, name, PatternType.LITERAL);
    }

    private static AclBinding allow(String principal, ResourcePattern pattern, AclOperation operation) {
        return new AclBinding(pattern, new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
    }
}
