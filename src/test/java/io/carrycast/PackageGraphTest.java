package io.carrycast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of {@code src/main/java} depend on each other without a cycle, read from the sources: each file's
 * package declaration, its imports and the fully qualified names in its code (comments and string literals
 * left out, so a {@code {@link}} in a comment is not a dependency).
 */
class PackageGraphTest {

    private static final Path MAIN = Path.of("src/main/java");
    private static final String ROOT = "io.carrycast";
    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** A reference to a type of the project: its package is the part before the first capitalised name. */
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.carrycast(?:\\.[a-z]\\w*)*)\\.[A-Z]");

    @Test
    void shouldHaveNoCycleAmongThePackages() {
        Map<String, Set<String>> graph = graph(mainSources());

        assertEquals(List.of(), cycles(graph), "package cycles; the graph is " + graph);
    }

    @Test
    void shouldKeepTheRootPackageDependingOnNoOtherPackage() {
        assertEquals(Set.of(), graph(mainSources()).get(ROOT), "io.carrycast holds the base exception only");
    }

    @Test
    void shouldFindACycleThroughThreePackagesAndNoneInATree() {
        Map<String, String> looped = Map.of(
                "a/A.java", "package io.carrycast.a;\nimport io.carrycast.b.B;\nclass A { B b; }",
                "b/B.java", "package io.carrycast.b;\nclass B { io.carrycast.c.C c; }",
                "c/C.java", "package io.carrycast.c;\n/** {@link io.carrycast.d.D} */\nclass C { io.carrycast.a.A a; }",
                "d/D.java", "package io.carrycast.d;\nclass D { String s = \"io.carrycast.a.A\"; }");
        Map<String, String> tree = Map.of(
                "a/A.java", "package io.carrycast.a;\nimport io.carrycast.b.B;\nimport static io.carrycast.c.C.X;\nclass A {}",
                "b/B.java", "package io.carrycast.b;\nclass B { io.carrycast.c.C c; }",
                "c/C.java", "package io.carrycast.c;\nclass C { static int X; }");

        assertEquals(List.of(List.of("io.carrycast.a", "io.carrycast.b", "io.carrycast.c")), cycles(graph(looped)));
        assertEquals(Set.of(), graph(looped).get("io.carrycast.d"), "comments and strings are no dependency");
        assertEquals(List.of(), cycles(graph(tree)));
        assertEquals(Set.of("io.carrycast.b", "io.carrycast.c"), graph(tree).get("io.carrycast.a"));
    }

    /** File name to source text, for every Java file under {@code src/main/java}. */
    private static Map<String, String> mainSources() {
        Map<String, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                sources.put(MAIN.relativize(file).toString(), Files.readString(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertTrue(sources.size() > 50, "read the sources under " + MAIN.toAbsolutePath());
        return sources;
    }

    /** Each package of the project and the other packages of the project it refers to. */
    static Map<String, Set<String>> graph(Map<String, String> sources) {
        Map<String, Set<String>> graph = new TreeMap<>();
        sources.forEach((file, text) -> {
            String code = withoutCommentsAndStrings(text);
            Matcher declared = PACKAGE.matcher(code);
            if (!declared.find()) {
                throw new IllegalStateException(file + ": no package declaration");
            }
            String from = declared.group(1);
            Set<String> to = graph.computeIfAbsent(from, p -> new TreeSet<>());
            Matcher reference = REFERENCE.matcher(code.substring(declared.end()));
            while (reference.find()) {
                if (!reference.group(1).equals(from)) {
                    to.add(reference.group(1));
                }
            }
        });
        return graph;
    }

    private static String withoutCommentsAndStrings(String text) {
        return text.replaceAll("(?s)/\\*.*?\\*/", " ").replaceAll("(?s)\"\"\".*?\"\"\"", "\"\"")
                .replaceAll("//[^\n]*", " ").replaceAll("\"(?:\\\\.|[^\"\\\\\n])*\"", "\"\"");
    }

    /** The strongly connected components of more than one package (Tarjan), each sorted, in sorted order. */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> lowLink = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> cycles = new ArrayList<>();
        for (String start : graph.keySet()) {
            if (!index.containsKey(start)) {
                connect(start, graph, index, lowLink, stack, onStack, cycles);
            }
        }
        cycles.sort((a, b) -> a.get(0).compareTo(b.get(0)));
        return cycles;
    }

    private static void connect(String node, Map<String, Set<String>> graph, Map<String, Integer> index,
                                Map<String, Integer> lowLink, Deque<String> stack, Set<String> onStack,
                                List<List<String>> cycles) {
        index.put(node, index.size());
        lowLink.put(node, index.get(node));
        stack.push(node);
        onStack.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            if (!index.containsKey(next)) {
                connect(next, graph, index, lowLink, stack, onStack, cycles);
                lowLink.put(node, Math.min(lowLink.get(node), lowLink.get(next)));
            } else if (onStack.contains(next)) {
                lowLink.put(node, Math.min(lowLink.get(node), index.get(next)));
            }
        }
        if (lowLink.get(node).equals(index.get(node))) {
            List<String> component = new ArrayList<>();
            String member;
            do {
                member = stack.pop();
                onStack.remove(member);
                component.add(member);
            } while (!member.equals(node));
            if (component.size() > 1) {
                component.sort(null);
                cycles.add(component);
            }
        }
    }
}
