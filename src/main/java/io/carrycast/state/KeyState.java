package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One key's recurrent state between events.
 *
 * <p>Encoding (version 1, little-endian): {@code byte version=1, long modelFingerprint,
 * long steps, long lastEventTimeMs, long lastEventDigest, byte tensorCount, int floatsPerTensor,
 * float[tensorCount * floatsPerTensor]}. 38 bytes of header; an LSTM with 64 hidden units stores 550
 * bytes per key.
 *
 * @param modelFingerprint the model that wrote the tensors (see {@link io.carrycast.bundle.ModelBundle})
 * @param steps            events this key has been stepped with since its state began
 * @param lastEventTimeMs  event time of the last event stepped
 * @param lastEventDigest  {@link #digest} of the last event stepped, to recognise an exact redelivery
 * @param tensors          one array per state tensor, key-major as the runner exchanges them
 */
public record KeyState(long modelFingerprint, long steps, long lastEventTimeMs, long lastEventDigest,
                       float[][] tensors) {

    private static final byte VERSION = 1;
    private static final int HEADER_BYTES = 1 + Long.BYTES * 4 + 1 + Integer.BYTES;

    /** The state of a key never seen: zero tensors, no steps. */
    public static KeyState initial(long modelFingerprint, int tensorCount, int floatsPerTensor) {
        return new KeyState(modelFingerprint, 0, Long.MIN_VALUE, 0L, new float[tensorCount][floatsPerTensor]);
    }

    /** A 64-bit digest of an event's time and normalised features: equal events give equal digests. */
    public static long digest(long eventTimeMs, float[] features) {
        long hash = 0xcbf29ce484222325L ^ eventTimeMs;
        for (float feature : features) {
            hash = (hash ^ Float.floatToIntBits(feature)) * 0x100000001b3L;
            hash ^= hash >>> 29;
        }
        return hash;
    }

    public byte[] encode() {
        int floatsPerTensor = tensors.length == 0 ? 0 : tensors[0].length;
        ByteBuffer buffer = ByteBuffer.allocate(HEADER_BYTES + tensors.length * floatsPerTensor * Float.BYTES)
                .order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).putLong(modelFingerprint).putLong(steps).putLong(lastEventTimeMs)
                .putLong(lastEventDigest).put((byte) tensors.length).putInt(floatsPerTensor);
        for (float[] tensor : tensors) {
            buffer.asFloatBuffer().put(tensor);
            buffer.position(buffer.position() + tensor.length * Float.BYTES);
        }
        return buffer.array();
    }

    public static KeyState decode(byte[] bytes) {
        return decode(ByteBuffer.wrap(bytes));
    }

    /** Decodes the bytes from the buffer's position to its limit (a part of a larger value, read in place). */
    public static KeyState decode(ByteBuffer bytes) {
        ByteBuffer buffer = VersionedBytes.open(bytes, VERSION, HEADER_BYTES, "stored key state");
        long fingerprint = buffer.getLong();
        long steps = buffer.getLong();
        long lastEventTime = buffer.getLong();
        long lastEventDigest = buffer.getLong();
        int tensorCount = buffer.get();
        int floatsPerTensor = buffer.getInt();
        if (buffer.remaining() != tensorCount * floatsPerTensor * Float.BYTES) {
            throw new StateFormatException("stored key state declares " + tensorCount + " x " + floatsPerTensor
                    + " floats but holds " + buffer.remaining() + " bytes of them");
        }
        float[][] tensors = new float[tensorCount][floatsPerTensor];
        for (float[] tensor : tensors) {
            buffer.asFloatBuffer().get(tensor);
            buffer.position(buffer.position() + floatsPerTensor * Float.BYTES);
        }
        return new KeyState(fingerprint, steps, lastEventTime, lastEventDigest, tensors);
    }

    /** The state after one more event. */
    public KeyState advance(long modelFingerprint, long eventTimeMs, long eventDigest, float[][] newTensors) {
        return new KeyState(modelFingerprint, steps + 1, eventTimeMs, eventDigest, newTensors);
    }

}
