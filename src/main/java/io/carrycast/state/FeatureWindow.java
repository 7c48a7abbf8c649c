package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A key's last {@code capacity} normalised feature vectors, oldest first. Immutable: {@link #append}
 * returns a new window.
 *
 * <p>Encoding (version 1, little-endian): {@code byte version=1, int featureCount, int capacity,
 * int size, float[size * featureCount]}.
 */
public final class FeatureWindow {

    private static final byte VERSION = 1;
    private static final int HEADER_BYTES = 1 + Integer.BYTES * 3;

    private final int featureCount;
    private final int capacity;
    private final int size;
    private final float[] values;

    private FeatureWindow(int featureCount, int capacity, int size, float[] values) {
        this.featureCount = featureCount;
        this.capacity = capacity;
        this.size = size;
        this.values = values;
    }

    public static FeatureWindow empty(int featureCount, int capacity) {
        return new FeatureWindow(featureCount, capacity, 0, new float[0]);
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    public int featureCount() {
        return featureCount;
    }

    public boolean isFull() {
        return size == capacity;
    }

    /** The vectors, oldest first, {@code size * featureCount} floats; a copy. */
    public float[] values() {
        return values.clone();
    }

    /** Copies the vectors, oldest first, into {@code target} at {@code offset}. */
    public void copyTo(float[] target, int offset) {
        System.arraycopy(values, 0, target, offset, values.length);
    }

    public FeatureWindow append(float[] features) {
        if (features.length != featureCount) {
            throw new IllegalArgumentException("window holds " + featureCount + " features per event, got "
                    + features.length);
        }
        int newSize = Math.min(size + 1, capacity);
        float[] next = new float[newSize * featureCount];
        int kept = (newSize - 1) * featureCount;
        System.arraycopy(values, values.length - kept, next, 0, kept);
        System.arraycopy(features, 0, next, kept, featureCount);
        return new FeatureWindow(featureCount, capacity, newSize, next);
    }

    public byte[] encode() {
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + values.length * Float.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).putInt(featureCount).putInt(capacity).putInt(size);
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }

    public static FeatureWindow decode(byte[] bytes) {
        return decode(ByteBuffer.wrap(bytes));
    }

    /** Decodes the bytes from the buffer's position to its limit (a part of a larger value, read in place). */
    public static FeatureWindow decode(ByteBuffer bytes) {
        ByteBuffer buffer = VersionedBytes.open(bytes, VERSION, HEADER_BYTES, "stored feature window");
        int featureCount = buffer.getInt();
        int capacity = buffer.getInt();
        int size = buffer.getInt();
        if (buffer.remaining() != size * featureCount * Float.BYTES) {
            throw new StateFormatException("stored feature window declares " + size + " x " + featureCount
                    + " floats but holds " + buffer.remaining() + " bytes of them");
        }
        float[] values = new float[size * featureCount];
        buffer.asFloatBuffer().get(values);
        return new FeatureWindow(featureCount, capacity, size, values);
    }

    /** A window with another capacity, keeping the newest vectors that fit. */
    public FeatureWindow withCapacity(int newCapacity) {
        int newSize = Math.min(size, newCapacity);
        float[] kept = new float[newSize * featureCount];
        System.arraycopy(values, values.length - kept.length, kept, 0, kept.length);
        return new FeatureWindow(featureCount, newCapacity, newSize, kept);
    }
}
