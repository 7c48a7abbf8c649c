package io.carrycast;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The configuration reference in docs/configuration.md is generated from the one definition of the settings. */
class ReadmeTest {

    @Test
    void shouldDocumentEveryCarrycastSettingAsDefined() throws IOException {
        String doc = Files.readString(Path.of("docs/configuration.md"));
        String table = CarrycastConfig.markdownTable();
        assertTrue(doc.contains(table), "docs/configuration.md must contain the generated settings table"
                + " (tools/update-settings-doc.sh writes it):\n" + table);
    }
}
