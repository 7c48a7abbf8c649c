package io.carrycast.accuracy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The running accuracy tallies of this instance, per model name, model version, target and step: as
 * Prometheus counters (scored count, absolute-error and squared-error sums, the same for persistence, and
 * the values left unscored), and in memory since start and over a recent window for {@code GET /accuracy}.
 * Shared by every stream thread; each tally is updated under its own lock.
 *
 * <p>The recent window is kept as {@value #WINDOW_BUCKETS} buckets of wall-clock time: it covers between the
 * window less one bucket and the whole window.
 */
public final class AccuracyBoard implements Scorer.Sink {

    /** The window {@code GET /accuracy} reports beside the totals since start. */
    public static final Duration DEFAULT_WINDOW = Duration.ofHours(1);
    static final int WINDOW_BUCKETS = 12;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Model name, model version, target field and step: one row of the table. */
    public record Cell(String modelName, String modelVersion, String target, int step) {
    }

    /**
     * One row: since start and over the recent window, since start per interval level (ascending; empty when
     * the forecasts had no intervals), and since start the pinball losses of a quantile model's values (empty for
     * other models).
     */
    public record Row(Cell cell, ErrorTally sinceStart, ErrorTally recent, Map<Double, IntervalTally> intervals,
                      PinballTally pinball) {
    }

    private final MeterRegistry registry;
    private final long bucketMs;
    private final LongSupplier clockMs;
    private final Map<Cell, Tallies> tallies = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> skipped = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> anomalies = new ConcurrentHashMap<>();

    /**
     * @param window  the recent window reported beside the totals since start
     * @param clockMs wall-clock time in milliseconds
     */
    public AccuracyBoard(MeterRegistry registry, Duration window, LongSupplier clockMs) {
        if (window.toMillis() < WINDOW_BUCKETS) {
            throw new IllegalArgumentException("accuracy window must be at least " + WINDOW_BUCKETS + " ms, found "
                    + window.toMillis());
        }
        this.registry = registry;
        this.bucketMs = window.toMillis() / WINDOW_BUCKETS;
        this.clockMs = clockMs;
    }

    public Duration window() {
        return Duration.ofMillis(bucketMs * WINDOW_BUCKETS);
    }

    @Override
    public void scored(Score score) {
        Cell cell = new Cell(score.modelName(), score.modelVersion(), score.target(), score.step());
        Tallies tally = tallies.computeIfAbsent(cell, Tallies::new);
        tally.add(score.error(), score.persistenceError(), clockMs.getAsLong());
        for (Score.Range range : score.ranges()) {
            tally.add(range, score.actual());
        }
        if (score.quantiles()) {
            tally.addPinball(score.pinball());
        }
    }

    /** Counts an actual outside its forecast's interval at the anomaly level. */
    public void anomaly(Score score, Score.Range range) {
        anomalies.computeIfAbsent(List.of(score.modelName(), score.modelVersion(), score.target(),
                Integer.toString(score.step()), Double.toString(range.level())),
                tags -> Counter.builder("carrycast.anomalies")
                        .description("Actuals outside the interval their forecast was published with at the anomaly "
                                + "level (carrycast.intervals.anomaly.level)")
                        .tag("model", tags.get(0)).tag("version", tags.get(1)).tag("target", tags.get(2))
                        .tag("step", tags.get(3)).tag("level", tags.get(4)).register(registry)).increment();
    }

    @Override
    public void skipped(String modelName, String modelVersion, String target, int step, Scorer.Skip why) {
        skipped.computeIfAbsent(List.of(modelName, modelVersion, target, Integer.toString(step), why.label()),
                tags -> Counter.builder("carrycast.accuracy.skipped")
                        .description("Forecast values not scored: no event at the target time (no_event), or no "
                                + "usable target value (no_actual)")
                        .tag("model", tags.get(0)).tag("version", tags.get(1)).tag("target", tags.get(2))
                        .tag("step", tags.get(3)).tag("reason", tags.get(4)).register(registry)).increment();
    }

    /** Every row, ordered by model name, version, target and step. */
    public List<Row> rows() {
        long now = clockMs.getAsLong();
        List<Row> rows = new ArrayList<>();
        tallies.forEach((cell, tally) -> rows.add(tally.row(now)));
        rows.sort(Comparator.comparing((Row r) -> r.cell().modelName()).thenComparing(r -> r.cell().modelVersion())
                .thenComparing(r -> r.cell().target()).thenComparingInt(r -> r.cell().step()));
        return rows;
    }

    /** The row of one cell, or null when nothing was scored there. */
    public Row row(String modelName, String modelVersion, String target, int step) {
        Tallies tally = tallies.get(new Cell(modelName, modelVersion, target, step));
        return tally == null ? null : tally.row(clockMs.getAsLong());
    }

    /** The tallies of one cell: its Prometheus counters, the sums since start and the window's buckets. */
    private final class Tallies {
        private final Cell cell;
        private final Counter scored;
        private final Counter absError;
        private final Counter squaredError;
        private final Counter persistenceAbsError;
        private final Counter persistenceSquaredError;
        private ErrorTally sinceStart = ErrorTally.EMPTY;
        private final long[] bucketStarts = new long[WINDOW_BUCKETS];
        private final ErrorTally[] buckets = new ErrorTally[WINDOW_BUCKETS];
        private final Map<Double, IntervalTally> intervals = new java.util.TreeMap<>();
        private final Map<Double, Counter[]> intervalCounters = new java.util.HashMap<>();
        private PinballTally pinball = PinballTally.EMPTY;
        /** Registered at the cell's first quantile model's value. */
        private Counter pinballCounter;

        Tallies(Cell cell) {
            this.cell = cell;
            this.scored = counter("carrycast.accuracy.scored", "Forecast values scored against their actuals");
            this.absError = counter("carrycast.accuracy.abs.error", "Sum of |forecast - actual| over scored values");
            this.squaredError = counter("carrycast.accuracy.squared.error",
                    "Sum of (forecast - actual)^2 over scored values");
            this.persistenceAbsError = counter("carrycast.accuracy.persistence.abs.error",
                    "Sum of |persistence - actual| over scored values (persistence: the value at forecast time)");
            this.persistenceSquaredError = counter("carrycast.accuracy.persistence.squared.error",
                    "Sum of (persistence - actual)^2 over scored values");
            java.util.Arrays.fill(bucketStarts, Long.MIN_VALUE);
            java.util.Arrays.fill(buckets, ErrorTally.EMPTY);
        }

        private Counter counter(String name, String description) {
            return Counter.builder(name).description(description).tag("model", cell.modelName())
                    .tag("version", cell.modelVersion()).tag("target", cell.target())
                    .tag("step", Integer.toString(cell.step())).register(registry);
        }

        synchronized void add(double error, double persistenceError, long nowMs) {
            ErrorTally one = ErrorTally.EMPTY.add(error, persistenceError);
            sinceStart = sinceStart.add(error, persistenceError);
            long start = Math.floorDiv(nowMs, bucketMs) * bucketMs;
            int slot = (int) Math.floorMod(Math.floorDiv(nowMs, bucketMs), (long) WINDOW_BUCKETS);
            if (bucketStarts[slot] != start) {
                bucketStarts[slot] = start;
                buckets[slot] = ErrorTally.EMPTY;
            }
            buckets[slot] = buckets[slot].plus(one);
            scored.increment();
            absError.increment(one.absErrorSum());
            squaredError.increment(one.squaredErrorSum());
            persistenceAbsError.increment(one.persistenceAbsSum());
            persistenceSquaredError.increment(one.persistenceSquaredSum());
        }

        synchronized void add(Score.Range range, double actual) {
            intervals.merge(range.level(), IntervalTally.EMPTY.add(range, actual), (sum, one) -> sum.add(range, actual));
            Counter[] counters = intervalCounters.computeIfAbsent(range.level(), level -> new Counter[] {
                    intervalCounter("carrycast.accuracy.interval.scored", "Scored values with an interval", level),
                    intervalCounter("carrycast.accuracy.interval.covered", "Scored values whose actual lay inside "
                            + "their interval", level),
                    intervalCounter("carrycast.accuracy.interval.width", "Sum of interval widths (upper - lower)",
                            level),
                    intervalCounter("carrycast.accuracy.interval.winkler", "Sum of interval (Winkler) scores: width "
                            + "plus 2 / (1 - level) times how far the actual lay outside", level)});
            counters[0].increment();
            counters[1].increment(range.covers(actual) ? 1 : 0);
            counters[2].increment(range.width());
            counters[3].increment(range.winkler(actual));
        }

        synchronized void addPinball(double loss) {
            pinball = pinball.add(loss);
            if (pinballCounter == null) {
                pinballCounter = counter("carrycast.accuracy.pinball", "Sum of a quantile model's pinball losses, "
                        + "each averaged over its quantiles; divided by carrycast_accuracy_scored_total, the mean");
            }
            pinballCounter.increment(loss);
        }

        private Counter intervalCounter(String name, String description, double level) {
            return Counter.builder(name).description(description).tag("model", cell.modelName())
                    .tag("version", cell.modelVersion()).tag("target", cell.target())
                    .tag("step", Integer.toString(cell.step())).tag("level", Double.toString(level))
                    .register(registry);
        }

        synchronized Row row(long nowMs) {
            long oldest = Math.floorDiv(nowMs, bucketMs) * bucketMs - (WINDOW_BUCKETS - 1) * bucketMs;
            ErrorTally recent = ErrorTally.EMPTY;
            for (int slot = 0; slot < WINDOW_BUCKETS; slot++) {
                if (bucketStarts[slot] >= oldest && bucketStarts[slot] != Long.MIN_VALUE) {
                    recent = recent.plus(buckets[slot]);
                }
            }
            return new Row(cell, sinceStart, recent,
                    java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(intervals)), pinball);
        }
    }

    /**
     * The table as JSON for {@code GET /accuracy}. It covers this instance only (the keys of the tasks it ran,
     * since it started), and says so: {@code "scope":"instance"} and the instance's address. MAE, RMSE,
     * persistence MAE and skill are null where nothing was scored.
     */
    public String toJson(String instance) {
        ObjectNode root = JSON.createObjectNode().put("scope", "instance").put("instance", instance)
                .put("window_seconds", window().toSeconds());
        ArrayNode rows = root.putArray("rows");
        for (Row row : rows()) {
            ObjectNode json = rows.addObject().put("model", row.cell().modelName())
                    .put("version", row.cell().modelVersion()).put("target", row.cell().target())
                    .put("step", row.cell().step());
            tallyJson(json.putObject("since_start"), row.sinceStart());
            tallyJson(json.putObject("recent"), row.recent());
            if (!row.intervals().isEmpty()) {
                ArrayNode intervals = json.putArray("intervals");
                row.intervals().forEach((level, tally) -> {
                    ObjectNode interval = intervals.addObject().put("level", level).put("n", tally.count());
                    number(interval, "coverage", tally.coverage());
                    number(interval, "mean_width", tally.meanWidth());
                    number(interval, "winkler", tally.meanWinkler());
                });
            }
            if (row.pinball().count() > 0) {
                number(json, "pinball", row.pinball().mean());
            }
        }
        return root.toString();
    }

    private static void tallyJson(ObjectNode json, ErrorTally tally) {
        json.put("n", tally.count());
        number(json, "mae", tally.mae());
        number(json, "rmse", tally.rmse());
        number(json, "persistence_mae", tally.persistenceMae());
        number(json, "skill", tally.skill());
    }

    private static void number(ObjectNode json, String field, double value) {
        if (Double.isFinite(value)) {
            json.put(field, value);
        } else {
            json.putNull(field);
        }
    }
}
