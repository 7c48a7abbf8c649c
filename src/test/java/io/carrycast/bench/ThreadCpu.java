package io.carrycast.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * CPU time of a process's threads, by group (stream threads, their producers, the consumer's heartbeat, GC, JIT,
 * RocksDB's background threads, the rest), from {@code /proc/PID/task/TID/stat}. Java threads are named from a
 * {@code jcmd PID Thread.print} taken with the snapshot (its {@code nid} is the Linux thread id); a thread it does
 * not list (RocksDB's, started by native code) is named by its {@code comm}. A process's CPU per event alone does
 * not say whether the time goes to the stream thread, whose work limits throughput, or beside it.
 */
final class ThreadCpu {

    private static final Pattern JAVA_THREAD = Pattern.compile("^\"(.*?)\".*\\bnid=(0x[0-9a-f]+|\\d+)", Pattern.MULTILINE);
    private static final double TICKS_PER_SECOND = 100.0;

    /** Ticks by thread id, and each thread's group. */
    private final Map<Long, Long> ticks;
    private final Map<Long, String> groups;

    private ThreadCpu(Map<Long, Long> ticks, Map<Long, String> groups) {
        this.ticks = ticks;
        this.groups = groups;
    }

    static ThreadCpu of(long pid) throws IOException, InterruptedException {
        Map<Long, String> javaNames = javaThreadNames(pid);
        Map<Long, Long> ticks = new HashMap<>();
        Map<Long, String> groups = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                long tid = Long.parseLong(task.getFileName().toString());
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.put(tid, Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
                    groups.put(tid, group(javaNames.getOrDefault(tid, comm)));
                } catch (IOException exited) {
                    // The thread ended between the listing and the read.
                }
            }
        }
        return new ThreadCpu(ticks, groups);
    }

    /** CPU per event since {@code before}, by group, largest first; a thread started since counts in full. */
    Map<String, Double> microsPerEventSince(ThreadCpu before, double events) {
        Map<String, Double> micros = new HashMap<>();
        ticks.forEach((tid, now) -> {
            long spent = now - (before == null ? 0 : before.ticks.getOrDefault(tid, 0L));
            micros.merge(groups.get(tid), spent / TICKS_PER_SECOND * 1e6 / events, Double::sum);
        });
        return micros.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, LinkedHashMap::new));
    }

    static String format(Map<String, Double> micros) {
        return micros.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.1f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
    }

    private static String group(String name) {
        if (name.contains("producer-network-thread")) {
            return "producer";
        }
        if (name.contains("StreamThread")) {
            return "stream thread";
        }
        if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.startsWith("VM Thread")) {
            return "gc+vm";
        }
        if (name.contains("CompilerThre")) {
            return "jit";
        }
        if (name.startsWith("rocksdb")) {
            return "rocksdb background";
        }
        if (name.contains("heartbeat") || name.contains("consumer")) {
            return "consumer";
        }
        return name.replaceAll("[-#]?\\d+$", "");
    }

    /** Java thread names by Linux thread id, from jcmd; empty when jcmd is not at hand. */
    private static Map<Long, String> javaThreadNames(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Map<Long, String> names = new HashMap<>();
        if (!Files.isExecutable(jcmd)) {
            return names;
        }
        Process dump = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print").redirectErrorStream(true)
                .start();
        String text = new String(dump.getInputStream().readAllBytes());
        dump.waitFor();
        Matcher thread = JAVA_THREAD.matcher(text);
        while (thread.find()) {
            String nid = thread.group(2);
            names.put(nid.startsWith("0x") ? Long.parseLong(nid.substring(2), 16) : Long.parseLong(nid), thread.group(1));
        }
        return names;
    }
}
