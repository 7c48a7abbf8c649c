package io.carrycast.bench;

import io.carrycast.forecast.TimestampFormat;
import java.util.List;
import java.util.Locale;

/**
 * Nanoseconds per ISO-8601 timestamp read, through the hand-written fast path ({@code TimestampFormat.parse})
 * and through java.time's {@code DateTimeFormatter.parseBest} as before it, for the forms events carry.
 * Run with {@code tools/bench.sh timestamps}.
 */
public final class TimestampParseBenchmark {

    private static final int TEXTS = 4096;

    public static void main(String[] args) {
        TimestampFormat iso = TimestampFormat.of("iso");
        java.time.format.DateTimeFormatter formatter = java.time.format.DateTimeFormatter.ISO_DATE_TIME;
        java.util.function.ToLongFunction<String> javaTime = text -> {
            var parsed = formatter.parseBest(text, java.time.OffsetDateTime::from, java.time.LocalDateTime::from);
            return parsed instanceof java.time.OffsetDateTime offset ? offset.toInstant().toEpochMilli()
                    : ((java.time.LocalDateTime) parsed).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
        };
        List<String> forms = List.of("2015-01-01T00:00:00Z", "2015-01-01T00:00:00.123Z", "2015-01-01T00:00:00+05:30",
                "2015-01-01T00:00:00.123456789-08:00", "2015-01-01T00:00:00");
        List<String[]> texts = forms.stream().map(TimestampParseBenchmark::texts).toList();
        // Every form through both first, so no form's figure includes compiling code the others share.
        for (String[] some : texts) {
            nanosPerRead(some, iso::parse);
            nanosPerRead(some, javaTime);
        }
        for (int f = 0; f < forms.size(); f++) {
            double fast = nanosPerRead(texts.get(f), iso::parse);
            double slow = nanosPerRead(texts.get(f), javaTime);
            System.out.printf(Locale.ROOT, "%-36s fast path %6.1f ns/parse, parseBest %7.1f ns/parse (%.0fx)%n",
                    forms.get(f), fast, slow, slow / fast);
        }
    }

    /** Distinct texts of the form of {@code form}: another day and time of day for each. */
    private static String[] texts(String form) {
        String[] texts = new String[TEXTS];
        for (int i = 0; i < TEXTS; i++) {
            texts[i] = String.format(Locale.ROOT, "2015-%02d-%02dT%02d:%02d:%02d", 1 + i % 12, 1 + i % 28, i % 24,
                    i % 60, (i / 60) % 60) + form.substring(19);
        }
        return texts;
    }

    /** Median of 7 timed rounds after 5 untimed ones, each reading every text 50 times. */
    private static double nanosPerRead(String[] texts, java.util.function.ToLongFunction<String> parse) {
        double[] rounds = new double[7];
        long sink = 0;
        for (int round = -5; round < rounds.length; round++) {
            long started = System.nanoTime();
            for (int repeat = 0; repeat < 50; repeat++) {
                for (String text : texts) {
                    sink += parse.applyAsLong(text);
                }
            }
            if (round >= 0) {
                rounds[round] = (System.nanoTime() - started) / (50.0 * texts.length);
            }
        }
        if (sink == 42) {
            System.out.println();
        }
        java.util.Arrays.sort(rounds);
        return rounds[rounds.length / 2];
    }
}
