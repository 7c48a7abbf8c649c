package io.carrycast;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration reference is generated from the one definition of the settings. */
class ReadmeTest {

    @Test
    void shouldDocumentEveryCarrycastSettingAsDefined() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String table = CarrycastConfig.markdownTable();
        assertTrue(readme.contains(table), "README.md must contain the generated settings table:\n" + table);
    }
}
