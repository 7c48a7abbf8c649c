package io.carrycast;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The relative links of Markdown files, and whether each names a file that exists and, after '#', a heading in it. */
final class MarkdownLinks {

    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern CODE_SPAN = Pattern.compile("`[^`]*`");
    private static final Pattern HEADING = Pattern.compile("#{1,6} +(.*?)[ #]*");
    private static final Pattern SCHEME = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*:.*");

    private MarkdownLinks() {
    }

    /** Each relative link of the file, as written, without those inside code. */
    static List<String> links(Path file) throws IOException {
        List<String> links = new ArrayList<>();
        for (String line : prose(file)) {
            Matcher link = LINK.matcher(CODE_SPAN.matcher(line).replaceAll(""));
            while (link.find()) {
                if (!SCHEME.matcher(link.group(1)).matches()) {
                    links.add(link.group(1));
                }
            }
        }
        return links;
    }

    /** The file a relative link of {@code from} names: {@code from} itself for an anchor alone. */
    static Path target(Path from, String link) {
        int hash = link.indexOf('#');
        String path = hash < 0 ? link : link.substring(0, hash);
        return path.isEmpty() ? from : from.resolveSibling(path).normalize();
    }

    /** The file's links that name no existing file, or no heading of it, each as "file: link (why)". */
    static List<String> broken(Path file) throws IOException {
        List<String> broken = new ArrayList<>();
        for (String link : links(file)) {
            Path target = target(file, link);
            int hash = link.indexOf('#');
            if (!Files.exists(target)) {
                broken.add(file + ": " + link + " (no such file)");
            } else if (hash >= 0 && !anchors(target).contains(link.substring(hash + 1))) {
                broken.add(file + ": " + link + " (no such heading)");
            }
        }
        return broken;
    }

    /**
     * The anchors GitHub gives the file's headings: lower case, punctuation dropped, spaces as hyphens, and a
     * repeated heading's anchor numbered on ({@code -1}, {@code -2}).
     */
    static Set<String> anchors(Path file) throws IOException {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : prose(file)) {
            Matcher heading = HEADING.matcher(line);
            if (heading.matches()) {
                String slug = heading.group(1).toLowerCase(Locale.ROOT)
                        .replaceAll("[^\\p{L}\\p{N}_ -]", "").replace(' ', '-');
                int times = seen.merge(slug, 1, Integer::sum);
                anchors.add(times == 1 ? slug : slug + "-" + (times - 1));
            }
        }
        return anchors;
    }

    /**
     * The file's lines outside fenced code blocks, where a '#' or a bracket is text, not Markdown. As in CommonMark, a
     * fence opens with an info string or none and closes only with none.
     */
    private static List<String> prose(Path file) throws IOException {
        List<String> prose = new ArrayList<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(file)) {
            if (fenced ? line.matches("```\\s*") : line.startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced) {
                prose.add(line);
            }
        }
        return prose;
    }
}
