package io.carrycast.accuracy;

import io.carrycast.state.StateFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One key's forecasts whose target times have not all arrived yet, oldest first. Stored per key beside its
 * state ({@link io.carrycast.state.StateRecord}), so scoring carries on across a restart.
 *
 * <p>Encoding (version 1, little-endian): {@code byte version=1, int forecastCount}, then per forecast:
 * {@code long madeAtMs, long cadenceMs, string modelName, string modelVersion, byte targetCount,
 * string[targetCount] targets, short nextStep, short steps, double[targetCount] persistence,
 * double[steps * targetCount] values} (step-major); a string is {@code short byteCount, byte[] UTF-8}.
 * Version 2 (written when a forecast carries intervals) adds to each forecast, after its values,
 * {@code byte levelCount, double[levelCount] levels, float[steps * targetCount * levelCount] halfWidths}
 * (step, then target, then level; NaN where the forecast had no interval); version 1 reads as no intervals.
 * Version 3 (written when a forecast carries a quantile model's intervals, which need not be symmetric around
 * its value) writes after each forecast's levels a {@code byte kind}: 0, then the half-widths as in version 2;
 * or 1, then {@code double[steps * targetCount * levelCount * 2] bounds} (step, target, level, then lower and
 * upper), kept as published.
 * Values are kept as the forecast's JSON carries them (doubles), so live scores equal scores computed from
 * the forecast topic.
 */
public final class WaitingForecasts {

    /** A key with nothing waiting. */
    public static final WaitingForecasts NONE = new WaitingForecasts(List.of());

    private static final byte VERSION = 1;
    private static final byte VERSION_WITH_INTERVALS = 2;
    private static final byte VERSION_WITH_BOUNDS = 3;

    /**
     * One forecast still waiting for some of its target times.
     *
     * @param madeAtMs    event time of the event the forecast was made at; step k targets madeAtMs + k * cadence
     * @param targets     the target fields, in the order of {@code persistence} and of each step's values
     * @param persistence the persistence baseline: each target's actual value at madeAtMs (NaN when unknown)
     * @param nextStep    the first step (1-based) whose target time has not arrived yet
     * @param values      the forecast values, {@code steps * targets}, step by step
     * @param levels      the levels of the forecast's intervals; empty when it had none
     * @param halfWidths  the intervals' half-widths, {@code steps * targets * levels} (step, target, level);
     *                    NaN where the forecast had no interval; empty when {@code bounds} holds the intervals
     * @param bounds      a quantile model's intervals as published, {@code steps * targets * levels * 2} (step,
     *                    target, level, then lower and upper); empty for intervals from live errors
     */
    public record Waiting(long madeAtMs, long cadenceMs, String modelName, String modelVersion, List<String> targets,
                          double[] persistence, int nextStep, double[] values, double[] levels,
                          float[] halfWidths, double[] bounds) {

        /** A forecast with intervals from live errors, or none. */
        public Waiting(long madeAtMs, long cadenceMs, String modelName, String modelVersion, List<String> targets,
                       double[] persistence, int nextStep, double[] values, double[] levels, float[] halfWidths) {
            this(madeAtMs, cadenceMs, modelName, modelVersion, targets, persistence, nextStep, values, levels,
                    halfWidths, new double[0]);
        }

        /** A forecast without intervals. */
        public Waiting(long madeAtMs, long cadenceMs, String modelName, String modelVersion, List<String> targets,
                       double[] persistence, int nextStep, double[] values) {
            this(madeAtMs, cadenceMs, modelName, modelVersion, targets, persistence, nextStep, values,
                    new double[0], new float[0]);
        }

        public Waiting {
            targets = List.copyOf(targets);
            boolean halves = bounds.length == 0 && halfWidths.length == values.length * levels.length;
            if (!halves && (halfWidths.length != 0 || bounds.length != values.length * levels.length * 2)) {
                throw new IllegalArgumentException("a waiting forecast needs one half-width, or two bounds, per "
                        + "value and level: " + values.length + " values, " + levels.length + " levels, "
                        + halfWidths.length + " half-widths, " + bounds.length + " bounds");
            }
            if (cadenceMs <= 0) {
                throw new IllegalArgumentException("cadence must be > 0 ms, found " + cadenceMs);
            }
            if (targets.isEmpty() || persistence.length != targets.size() || values.length % targets.size() != 0) {
                throw new IllegalArgumentException("a waiting forecast needs one persistence value per target and "
                        + "whole steps of values: " + targets.size() + " targets, " + persistence.length
                        + " persistence values, " + values.length + " values");
            }
        }

        public int steps() {
            return values.length / targets.size();
        }

        public double value(int step, int target) {
            return values[(step - 1) * targets.size() + target];
        }

        /** The half-width of the interval at level index {@code level}, NaN when the forecast had none. */
        public float halfWidth(int step, int target, int level) {
            return halfWidths[((step - 1) * targets.size() + target) * levels.length + level];
        }

        /** Whether the intervals are a quantile model's, kept as bounds ({@link #bound}). */
        public boolean fromQuantiles() {
            return bounds.length > 0;
        }

        /** A quantile model's lower ({@code upper} false) or upper bound at level index {@code level}. */
        public double bound(int step, int target, int level, boolean upper) {
            return bounds[(((step - 1) * targets.size() + target) * levels.length + level) * 2 + (upper ? 1 : 0)];
        }

        Waiting from(int step) {
            return new Waiting(madeAtMs, cadenceMs, modelName, modelVersion, targets, persistence, step, values,
                    levels, halfWidths, bounds);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Waiting w && madeAtMs == w.madeAtMs && cadenceMs == w.cadenceMs
                    && nextStep == w.nextStep && modelName.equals(w.modelName) && modelVersion.equals(w.modelVersion)
                    && targets.equals(w.targets) && Arrays.equals(persistence, w.persistence)
                    && Arrays.equals(values, w.values) && Arrays.equals(levels, w.levels)
                    && Arrays.equals(halfWidths, w.halfWidths) && Arrays.equals(bounds, w.bounds);
        }

        @Override
        public int hashCode() {
            return Objects.hash(madeAtMs, cadenceMs, nextStep, modelName, modelVersion, targets,
                    Arrays.hashCode(persistence), Arrays.hashCode(values), Arrays.hashCode(levels),
                    Arrays.hashCode(halfWidths), Arrays.hashCode(bounds));
        }
    }

    private final List<Waiting> forecasts;

    public WaitingForecasts(List<Waiting> forecasts) {
        this.forecasts = List.copyOf(forecasts);
    }

    public List<Waiting> forecasts() {
        return forecasts;
    }

    public boolean isEmpty() {
        return forecasts.isEmpty();
    }

    /** These forecasts and one more, made after them. */
    public WaitingForecasts plus(Waiting forecast) {
        List<Waiting> more = new ArrayList<>(forecasts.size() + 1);
        more.addAll(forecasts);
        more.add(forecast);
        return new WaitingForecasts(more);
    }

    public byte[] encode() {
        List<byte[][]> strings = new ArrayList<>(forecasts.size());
        byte version = forecasts.stream().anyMatch(Waiting::fromQuantiles) ? VERSION_WITH_BOUNDS
                : forecasts.stream().anyMatch(forecast -> forecast.levels().length > 0) ? VERSION_WITH_INTERVALS
                : VERSION;
        int size = 1 + Integer.BYTES;
        for (Waiting forecast : forecasts) {
            byte[][] encoded = new byte[2 + forecast.targets().size()][];
            encoded[0] = utf8(forecast.modelName());
            encoded[1] = utf8(forecast.modelVersion());
            for (int t = 0; t < forecast.targets().size(); t++) {
                encoded[2 + t] = utf8(forecast.targets().get(t));
            }
            strings.add(encoded);
            size += Long.BYTES * 2 + 1 + Short.BYTES * 2
                    + Double.BYTES * (forecast.persistence().length + forecast.values().length);
            if (version != VERSION) {
                size += 1 + Double.BYTES * forecast.levels().length + Float.BYTES * forecast.halfWidths().length
                        + (version == VERSION_WITH_BOUNDS ? 1 + Double.BYTES * forecast.bounds().length : 0);
            }
            for (byte[] string : encoded) {
                size += Short.BYTES + string.length;
            }
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(version).putInt(forecasts.size());
        for (int f = 0; f < forecasts.size(); f++) {
            write(buffer, forecasts.get(f), strings.get(f), version);
        }
        return buffer.array();
    }

    private static void write(ByteBuffer buffer, Waiting forecast, byte[][] encoded, byte version) {
        buffer.putLong(forecast.madeAtMs()).putLong(forecast.cadenceMs());
        putString(buffer, encoded[0]);
        putString(buffer, encoded[1]);
        buffer.put((byte) forecast.targets().size());
        for (int t = 0; t < forecast.targets().size(); t++) {
            putString(buffer, encoded[2 + t]);
        }
        buffer.putShort((short) forecast.nextStep()).putShort((short) forecast.steps());
        for (double value : forecast.persistence()) {
            buffer.putDouble(value);
        }
        for (double value : forecast.values()) {
            buffer.putDouble(value);
        }
        if (version == VERSION) {
            return;
        }
        buffer.put((byte) forecast.levels().length);
        for (double level : forecast.levels()) {
            buffer.putDouble(level);
        }
        if (version == VERSION_WITH_BOUNDS) {
            buffer.put((byte) (forecast.fromQuantiles() ? 1 : 0));
        }
        for (float halfWidth : forecast.halfWidths()) {
            buffer.putFloat(halfWidth);
        }
        for (double bound : forecast.bounds()) {
            buffer.putDouble(bound);
        }
    }

    public static WaitingForecasts decode(byte[] bytes) {
        if (bytes.length < 1 + Integer.BYTES || bytes[0] < VERSION || bytes[0] > VERSION_WITH_BOUNDS) {
            throw new StateFormatException("stored waiting forecasts have " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads versions " + VERSION + " to "
                    + VERSION_WITH_BOUNDS);
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            byte version = buffer.get();
            int count = buffer.getInt();
            List<Waiting> forecasts = new ArrayList<>(count);
            for (int f = 0; f < count; f++) {
                forecasts.add(read(buffer, version));
            }
            if (buffer.hasRemaining()) {
                throw new StateFormatException("stored waiting forecasts hold " + buffer.remaining()
                        + " bytes after their " + count + " forecasts");
            }
            return new WaitingForecasts(forecasts);
        } catch (java.nio.BufferUnderflowException | IllegalArgumentException e) {
            throw new StateFormatException("stored waiting forecasts (" + bytes.length + " bytes) are cut short or "
                    + "inconsistent: " + e);
        }
    }

    private static Waiting read(ByteBuffer buffer, byte version) {
        long madeAt = buffer.getLong();
        long cadence = buffer.getLong();
        String name = getString(buffer);
        String modelVersion = getString(buffer);
        int targetCount = buffer.get();
        List<String> targets = new ArrayList<>(targetCount);
        for (int t = 0; t < targetCount; t++) {
            targets.add(getString(buffer));
        }
        int nextStep = buffer.getShort();
        int steps = buffer.getShort();
        double[] persistence = new double[targetCount];
        for (int t = 0; t < targetCount; t++) {
            persistence[t] = buffer.getDouble();
        }
        double[] values = new double[steps * targetCount];
        for (int v = 0; v < values.length; v++) {
            values[v] = buffer.getDouble();
        }
        double[] levels = new double[version == VERSION ? 0 : buffer.get()];
        for (int l = 0; l < levels.length; l++) {
            levels[l] = buffer.getDouble();
        }
        boolean bounded = version == VERSION_WITH_BOUNDS && buffer.get() == 1;
        float[] halfWidths = new float[bounded ? 0 : values.length * levels.length];
        for (int h = 0; h < halfWidths.length; h++) {
            halfWidths[h] = buffer.getFloat();
        }
        double[] bounds = new double[bounded ? values.length * levels.length * 2 : 0];
        for (int b = 0; b < bounds.length; b++) {
            bounds[b] = buffer.getDouble();
        }
        return new Waiting(madeAt, cadence, name, modelVersion, targets, persistence, nextStep, values, levels,
                halfWidths, bounds);
    }

    private static byte[] utf8(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException("name of " + bytes.length + " bytes is too long to store (at most "
                    + Short.MAX_VALUE + ")");
        }
        return bytes;
    }

    private static void putString(ByteBuffer buffer, byte[] utf8) {
        buffer.putShort((short) utf8.length).put(utf8);
    }

    private static String getString(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.getShort()];
        buffer.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof WaitingForecasts w && forecasts.equals(w.forecasts);
    }

    @Override
    public int hashCode() {
        return forecasts.hashCode();
    }

    @Override
    public String toString() {
        return "WaitingForecasts" + forecasts;
    }
}
