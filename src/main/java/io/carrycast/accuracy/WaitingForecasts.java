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
 * Values are kept as the forecast's JSON carries them (doubles), so live scores equal scores computed from
 * the forecast topic.
 */
public final class WaitingForecasts {

    /** A key with nothing waiting. */
    public static final WaitingForecasts NONE = new WaitingForecasts(List.of());

    private static final byte VERSION = 1;
    private static final byte VERSION_WITH_INTERVALS = 2;

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
     *                    NaN where the forecast had no interval
     */
    public record Waiting(long madeAtMs, long cadenceMs, String modelName, String modelVersion, List<String> targets,
                          double[] persistence, int nextStep, double[] values, double[] levels,
                          float[] halfWidths) {

        /** A forecast without intervals. */
        public Waiting(long madeAtMs, long cadenceMs, String modelName, String modelVersion, List<String> targets,
                       double[] persistence, int nextStep, double[] values) {
            this(madeAtMs, cadenceMs, modelName, modelVersion, targets, persistence, nextStep, values,
                    new double[0], new float[0]);
        }

        public Waiting {
            targets = List.copyOf(targets);
            if (halfWidths.length != values.length * levels.length) {
                throw new IllegalArgumentException("a waiting forecast needs one half-width per value and level: "
                        + values.length + " values, " + levels.length + " levels, " + halfWidths.length
                        + " half-widths");
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

        Waiting from(int step) {
            return new Waiting(madeAtMs, cadenceMs, modelName, modelVersion, targets, persistence, step, values,
                    levels, halfWidths);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Waiting w && madeAtMs == w.madeAtMs && cadenceMs == w.cadenceMs
                    && nextStep == w.nextStep && modelName.equals(w.modelName) && modelVersion.equals(w.modelVersion)
                    && targets.equals(w.targets) && Arrays.equals(persistence, w.persistence)
                    && Arrays.equals(values, w.values) && Arrays.equals(levels, w.levels)
                    && Arrays.equals(halfWidths, w.halfWidths);
        }

        @Override
        public int hashCode() {
            return Objects.hash(madeAtMs, cadenceMs, nextStep, modelName, modelVersion, targets,
                    Arrays.hashCode(persistence), Arrays.hashCode(values), Arrays.hashCode(levels),
                    Arrays.hashCode(halfWidths));
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
        boolean intervals = forecasts.stream().anyMatch(forecast -> forecast.levels().length > 0);
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
            if (intervals) {
                size += 1 + Double.BYTES * forecast.levels().length + Float.BYTES * forecast.halfWidths().length;
            }
            for (byte[] string : encoded) {
                size += Short.BYTES + string.length;
            }
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(intervals ? VERSION_WITH_INTERVALS : VERSION).putInt(forecasts.size());
        for (int f = 0; f < forecasts.size(); f++) {
            Waiting forecast = forecasts.get(f);
            byte[][] encoded = strings.get(f);
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
            if (intervals) {
                buffer.put((byte) forecast.levels().length);
                for (double level : forecast.levels()) {
                    buffer.putDouble(level);
                }
                for (float halfWidth : forecast.halfWidths()) {
                    buffer.putFloat(halfWidth);
                }
            }
        }
        return buffer.array();
    }

    public static WaitingForecasts decode(byte[] bytes) {
        if (bytes.length < 1 + Integer.BYTES || bytes[0] != VERSION && bytes[0] != VERSION_WITH_INTERVALS) {
            throw new StateFormatException("stored waiting forecasts have " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads versions " + VERSION + " and "
                    + VERSION_WITH_INTERVALS);
        }
        boolean intervals = bytes[0] == VERSION_WITH_INTERVALS;
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            buffer.get();
            int count = buffer.getInt();
            List<Waiting> forecasts = new ArrayList<>(count);
            for (int f = 0; f < count; f++) {
                long madeAt = buffer.getLong();
                long cadence = buffer.getLong();
                String name = getString(buffer);
                String version = getString(buffer);
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
                double[] levels = new double[intervals ? buffer.get() : 0];
                for (int l = 0; l < levels.length; l++) {
                    levels[l] = buffer.getDouble();
                }
                float[] halfWidths = new float[values.length * levels.length];
                for (int h = 0; h < halfWidths.length; h++) {
                    halfWidths[h] = buffer.getFloat();
                }
                forecasts.add(new Waiting(madeAt, cadence, name, version, targets, persistence, nextStep, values,
                        levels, halfWidths));
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
