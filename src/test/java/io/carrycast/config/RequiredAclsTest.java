package io.carrycast.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ACLs carrycast asks for, per guarantee and option, and the copy of them in docs/security.md. */
class RequiredAclsTest {

    private static final String PRINCIPAL = "User:carrycast";
    private static final String GRANT = "kafka-acls.sh --bootstrap-server \"$KAFKA\" --command-config admin.properties "
            + "--add --allow-principal User:carrycast";

    @Test
    void shouldAskForReadWriteTheGroupAndInternalTopicsUnderAtLeastOnce() {
        assertEquals(List.of(
                GRANT + " --operation Read --topic events",
                GRANT + " --operation Write --topic forecasts",
                GRANT + " --operation Write --topic carrycast-dead-letter",
                GRANT + " --operation Read --group carrycast",
                GRANT + " --operation Create --operation Read --operation Write --topic carrycast- --resource-pattern-type prefixed"),
                RequiredAcls.kafkaAclsCommands(PRINCIPAL, config("at_least_once", Map.of())));
    }

    @Test
    void shouldAddTheTransactionalIdPrefixUnderExactlyOnce() {
        List<String> commands = RequiredAcls.kafkaAclsCommands(PRINCIPAL, config("exactly_once_v2", Map.of()));

        assertEquals(6, commands.size());
        assertEquals(GRANT + " --operation Write --transactional-id carrycast --resource-pattern-type prefixed",
                commands.get(5));
    }

    @Test
    void shouldAddDeleteForTheRepartitionTopicAndCreateForTopicsCarrycastCreates() {
        List<String> commands = RequiredAcls.kafkaAclsCommands(PRINCIPAL, config("at_least_once",
                Map.of("carrycast.key.field", "city", "carrycast.topics.create", "true", "application.id", "fc")));

        assertEquals(List.of(
                GRANT + " --operation Read --operation Create --topic events",
                GRANT + " --operation Write --operation Create --topic forecasts",
                GRANT + " --operation Write --operation Create --topic carrycast-dead-letter",
                GRANT + " --operation Read --group fc",
                GRANT + " --operation Create --operation Read --operation Write --operation Delete --topic fc- "
                        + "--resource-pattern-type prefixed"), commands);
    }

    @Test
    void shouldTakeThePrincipalFromTheSaslLoginAndNeverItsPassword() {
        CarrycastConfig scram = config("at_least_once", Map.of("sasl.jaas.config",
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"fc-prod\" password=\"s3cret\";"));

        assertEquals(Optional.of("User:fc-prod"), RequiredAcls.saslPrincipal(scram));
        assertEquals(Optional.empty(), RequiredAcls.saslPrincipal(config("at_least_once", Map.of())));
    }

    @Test
    void shouldBeListedInTheSecurityDocAsPasteableCommands() throws IOException {
        String doc = Files.readString(Path.of("docs/security.md"));
        for (String guarantee : List.of("at_least_once", "exactly_once_v2")) {
            for (String command : RequiredAcls.kafkaAclsCommands(PRINCIPAL, config(guarantee, Map.of()))) {
                assertTrue(doc.contains(command + "\n"), "docs/security.md lacks: " + command);
            }
        }
    }

    private static CarrycastConfig config(String guarantee, Map<String, String> more) {
        Map<String, Object> settings = new HashMap<>(Map.of("carrycast.model.dir", "models/x",
                "bootstrap.servers", "kafka:9093", "processing.guarantee", guarantee));
        settings.putAll(more);
        return CarrycastConfig.of(settings);
    }
}
