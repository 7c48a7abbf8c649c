package io.carrycast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.config.CarrycastConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README and the pages under docs/: the configuration reference is generated from the one definition of the
 * settings, every relative link lands on a file and heading that exist, and every page is reached from the README.
 */
class ReadmeTest {

    private static final Path README = Path.of("README.md");

    @Test
    void shouldDocumentEveryCarrycastSettingAsDefined() throws IOException {
        String doc = Files.readString(Path.of("docs/configuration.md"));
        String table = CarrycastConfig.markdownTable();
        assertTrue(doc.contains(table), "docs/configuration.md must contain the generated settings table"
                + " (tools/update-settings-doc.sh writes it):\n" + table);
    }

    @Test
    void shouldLinkOnlyToFilesAndHeadingsThatExist() throws IOException {
        List<String> broken = new ArrayList<>();
        for (Path page : pages()) {
            broken.addAll(MarkdownLinks.broken(page));
        }
        assertEquals(List.of(), broken);
    }

    @Test
    void shouldReachEveryPageFromTheReadme() throws IOException {
        Set<Path> reached = new LinkedHashSet<>();
        Deque<Path> toRead = new ArrayDeque<>(List.of(README));
        while (!toRead.isEmpty()) {
            Path page = toRead.pop();
            if (reached.add(page)) {
                for (String link : MarkdownLinks.links(page)) {
                    Path target = MarkdownLinks.target(page, link);
                    if (target.toString().endsWith(".md") && Files.exists(target)) {
                        toRead.push(target);
                    }
                }
            }
        }
        Set<Path> unreached = new TreeSet<>(pages());
        unreached.removeAll(reached);
        assertEquals(Set.of(), unreached);
    }

    @Test
    void shouldFindLinksToAMissingFileOrHeadingButNotInCode(@TempDir Path dir) throws IOException {
        Path page = dir.resolve("page.md");
        Files.writeString(page, """
                # Page
                ## Part one: `the` start
                ## Repeated
                ## Repeated
                See [a](other.md), [b](missing.md), [c](other.md#gone), [d](other.md#other-page),
                [e](#part-one-the-start), [f](#repeated-1), [g](#repeated-2), [h](https://example.com/x.md),
                `[i](missing-in-code.md)`.
                ```text
                [j](missing-in-a-fence.md)
                ``` a fence does not close with text after it
                [k](missing-in-the-same-fence.md)
                ```
                """);
        Files.writeString(dir.resolve("other.md"), "# Other page\n");

        assertEquals(List.of(page + ": missing.md (no such file)", page + ": other.md#gone (no such heading)",
                page + ": #repeated-2 (no such heading)"), MarkdownLinks.broken(page));
    }

    /** The README, BENCHMARKS.md and every page under docs/. */
    private static List<Path> pages() throws IOException {
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            return Stream.concat(Stream.of(README, Path.of("BENCHMARKS.md")),
                    docs.filter(p -> p.toString().endsWith(".md")).sorted()).collect(Collectors.toList());
        }
    }
}
