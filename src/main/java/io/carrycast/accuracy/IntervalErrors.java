package io.carrycast.accuracy;

import io.carrycast.state.StateFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One key's recent absolute forecast errors, per target field and forecast step, from which its intervals are
 * computed ({@link Intervals}). Stored per key in its state record ({@link io.carrycast.state.StateRecord}), so
 * it is restored with the state and updated exactly once per scored value. Targets are kept by field name,
 * so the errors carry over a model swap that keeps the targets. Errors are kept as float32: 4 bytes each.
 *
 * <p>Encoding (version 1, little-endian): {@code byte version=1, byte targetCount}, then per target:
 * {@code short nameBytes, byte[] UTF-8 name, short steps}, then per step {@code short count,
 * float[count] errors} oldest first.
 *
 * <p>Not thread-safe: a key's errors are decoded, updated and encoded by the one thread stepping the key.
 */
public final class IntervalErrors {

    private static final byte VERSION = 1;

    /** Per target, per step (index step - 1), the kept errors oldest first. */
    private final Map<String, List<float[]>> errors;
    private boolean changed;

    private IntervalErrors(Map<String, List<float[]>> errors) {
        this.errors = errors;
    }

    /** A key with no errors yet. */
    public static IntervalErrors empty() {
        return new IntervalErrors(new LinkedHashMap<>());
    }

    /** The stored errors, or none for null. */
    public static IntervalErrors of(byte[] stored) {
        return stored == null ? empty() : decode(stored);
    }

    /** Keeps one more error of the target's step, letting go of the oldest beyond {@code window}. */
    public void add(String target, int step, double absError, int window) {
        List<float[]> steps = errors.computeIfAbsent(target, t -> new ArrayList<>());
        while (steps.size() < step) {
            steps.add(new float[0]);
        }
        float[] kept = steps.get(step - 1);
        int keep = Math.min(kept.length, window - 1);
        float[] next = new float[keep + 1];
        System.arraycopy(kept, kept.length - keep, next, 0, keep);
        next[keep] = (float) absError;
        steps.set(step - 1, next);
        changed = true;
    }

    /** The errors kept for the target's step, oldest first (empty when none). */
    public float[] kept(String target, int step) {
        List<float[]> steps = errors.get(target);
        return steps == null || step > steps.size() ? new float[0] : steps.get(step - 1).clone();
    }

    /**
     * The half-widths of the target's step at each level: the k-th smallest of the last {@code window} errors
     * (k = {@link Intervals#rank}), NaN at a level with too few errors.
     */
    public float[] halfWidths(String target, int step, Intervals intervals) {
        float[] widths = new float[intervals.levels().length];
        Arrays.fill(widths, Float.NaN);
        List<float[]> steps = errors.get(target);
        if (steps == null || step > steps.size() || steps.get(step - 1).length == 0) {
            return widths;
        }
        float[] kept = steps.get(step - 1);
        int n = Math.min(kept.length, intervals.window());
        float[] window = Arrays.copyOfRange(kept, kept.length - n, kept.length);
        // Levels ascend, so ranks do: the highest first. A selection leaves the k smallest in the first k
        // places, so each lower rank is selected among those alone.
        int among = n;
        for (int l = widths.length - 1; l >= 0; l--) {
            int k = Intervals.rank(n, intervals.levels()[l]);
            if (k <= n) {
                widths[l] = kthSmallest(window, k, among);
                among = k;
            }
        }
        return widths;
    }

    /**
     * The k-th smallest (1-based) of {@code values} in {@link Float#compare} order, the element {@link Arrays#sort}
     * would put at k - 1; reorders {@code values}. A selection rather than a sort: it runs for every step of every
     * forecast, and sorting a full window was a sixth of the stream thread's time.
     */
    static float kthSmallest(float[] values, int k) {
        return kthSmallest(values, k, values.length);
    }

    /**
     * The k-th smallest of the first {@code among} values (k at most {@code among}); afterwards the k smallest
     * of them are in the first k places, the k-th at k - 1.
     */
    static float kthSmallest(float[] values, int k, int among) {
        int target = k - 1;
        int lo = 0;
        int hi = among - 1;
        while (lo < hi) {
            float pivot = medianOfThree(values[lo], values[(lo + hi) >>> 1], values[hi]);
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (Float.compare(values[i], pivot) < 0) {
                    i++;
                }
                while (Float.compare(values[j], pivot) > 0) {
                    j--;
                }
                if (i <= j) {
                    float swapped = values[i];
                    values[i++] = values[j];
                    values[j--] = swapped;
                }
            }
            if (target <= j) {
                hi = j;
            } else if (target >= i) {
                lo = i;
            } else {
                return values[target]; // between the two parts: equal to the pivot
            }
        }
        return values[target];
    }

    private static float medianOfThree(float a, float b, float c) {
        if (Float.compare(a, b) > 0) {
            float t = a;
            a = b;
            b = t;
        }
        return Float.compare(b, c) <= 0 ? b : Float.compare(a, c) >= 0 ? a : c;
    }

    /** Whether an error was added since this was decoded. */
    public boolean changed() {
        return changed;
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    public byte[] encode() {
        int size = 2;
        List<byte[]> names = new ArrayList<>(errors.size());
        for (Map.Entry<String, List<float[]>> target : errors.entrySet()) {
            byte[] name = target.getKey().getBytes(StandardCharsets.UTF_8);
            names.add(name);
            size += Short.BYTES * 2 + name.length;
            for (float[] kept : target.getValue()) {
                size += Short.BYTES + Float.BYTES * kept.length;
            }
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).put((byte) errors.size());
        int t = 0;
        for (List<float[]> steps : errors.values()) {
            byte[] name = names.get(t++);
            buffer.putShort((short) name.length).put(name).putShort((short) steps.size());
            for (float[] kept : steps) {
                buffer.putShort((short) kept.length);
                buffer.asFloatBuffer().put(kept);
                buffer.position(buffer.position() + Float.BYTES * kept.length);
            }
        }
        return buffer.array();
    }

    public static IntervalErrors decode(byte[] bytes) {
        if (bytes.length < 2 || bytes[0] != VERSION) {
            throw new StateFormatException("stored interval errors have " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads version " + VERSION);
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            buffer.get();
            int targets = buffer.get();
            Map<String, List<float[]>> errors = new LinkedHashMap<>();
            for (int t = 0; t < targets; t++) {
                byte[] name = new byte[buffer.getShort()];
                buffer.get(name);
                int stepCount = buffer.getShort();
                List<float[]> steps = new ArrayList<>(stepCount);
                for (int s = 0; s < stepCount; s++) {
                    float[] kept = new float[buffer.getShort()];
                    buffer.asFloatBuffer().get(kept);
                    buffer.position(buffer.position() + Float.BYTES * kept.length);
                    steps.add(kept);
                }
                errors.put(new String(name, StandardCharsets.UTF_8), steps);
            }
            if (buffer.hasRemaining()) {
                throw new StateFormatException("stored interval errors hold " + buffer.remaining()
                        + " bytes after their " + targets + " targets");
            }
            return new IntervalErrors(errors);
        } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
            throw new StateFormatException("stored interval errors (" + bytes.length + " bytes) are cut short or "
                    + "inconsistent: " + e);
        }
    }
}
