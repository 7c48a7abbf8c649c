package io.carrycast.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The demo's anomalies: what the forecaster wrote to its anomaly topic ({@code io.carrycast.accuracy.AnomalyJson}),
 * counted per city. One actual can be flagged by each forecast step that targeted it, so a day counts once
 * however many of its forecasts it fell outside.
 */
final class Anomalies {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Anomalies() {
    }

    /** The fields of an anomaly record the counts need. */
    record Flag(String key, long timeMs, int step) {
    }

    /** Every committed anomaly record on the topic (call after the forecaster has stopped). */
    static List<Flag> consume(String bootstrapServers, String topic) {
        return CommittedRecords.readAll(bootstrapServers, topic, Anomalies::read);
    }

    static Flag read(byte[] record) {
        try {
            JsonNode json = JSON.readTree(record);
            return new Flag(json.get("key").asText(), Instant.parse(json.get("time").asText()).toEpochMilli(),
                    json.get("step").asInt());
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable anomaly record", e);
        }
    }

    /**
     * Per city, over actuals' times in [from, until): its days flagged, the next-day forecast's flags and all
     * records; a city in {@code keys} without any flag is listed with zeros.
     */
    static List<Demo.AnomalyCount> count(Collection<String> keys, List<Flag> flags, long from, long until) {
        Map<String, Set<Long>> days = new TreeMap<>();
        Map<String, int[]> nextDayAndAll = new TreeMap<>();
        keys.forEach(key -> {
            days.put(key, new HashSet<>());
            nextDayAndAll.put(key, new int[2]);
        });
        for (Flag flag : flags) {
            if (flag.timeMs() >= from && flag.timeMs() < until) {
                days.computeIfAbsent(flag.key(), k -> new HashSet<>()).add(flag.timeMs());
                int[] counts = nextDayAndAll.computeIfAbsent(flag.key(), k -> new int[2]);
                counts[0] += flag.step() == 1 ? 1 : 0;
                counts[1]++;
            }
        }
        return days.entrySet().stream().map(e -> new Demo.AnomalyCount(e.getKey(), e.getValue().size(),
                nextDayAndAll.get(e.getKey())[0], nextDayAndAll.get(e.getKey())[1])).toList();
    }

    /** A text table: per city and in total, the days flagged, those by the next-day forecast, and all records. */
    static String table(List<Demo.AnomalyCount> counts) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-16s %12s %16s %10s%n", "key",
                "days flagged", "by next-day", "records"));
        for (Demo.AnomalyCount count : counts) {
            out.append(String.format(Locale.ROOT, "%-16s %12d %16d %10d%n", count.key(), count.days(),
                    count.nextDay(), count.records()));
        }
        Demo.AnomalyCount total = total(counts);
        out.append(String.format(Locale.ROOT, "%-16s %12d %16d %10d%n", total.key(), total.days(), total.nextDay(),
                total.records()));
        return out.toString();
    }

    /** The cities' counts summed: days are per city, so a day flagged in both counts twice. */
    static Demo.AnomalyCount total(List<Demo.AnomalyCount> counts) {
        return new Demo.AnomalyCount("total", counts.stream().mapToInt(Demo.AnomalyCount::days).sum(),
                counts.stream().mapToInt(Demo.AnomalyCount::nextDay).sum(),
                counts.stream().mapToInt(Demo.AnomalyCount::records).sum());
    }
}
