package io.carrycast.state;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One key's recent events, kept so that a late event can be inserted among them and the key's state replayed
 * from before it. Immutable.
 *
 * <p>Holds a base (the key's state and window just before the oldest held event; no state for a key whose
 * first event is held) and the held events since, oldest first, each with its normalised features, the
 * revision of its latest published forecast, and for some of them a snapshot of the state after it. A replay
 * starts from the last snapshot (or the base) before the late event's place, so the oldest events can only be
 * let go up to a snapshot: their snapshot becomes the new base.
 *
 * <p>Encoding (version 1, little-endian): {@code byte version=1, long modelFingerprint, int featureCount,
 * int baseStateBytes (-1: none), byte[] KeyState, int baseWindowBytes (-1: none), byte[] FeatureWindow,
 * int eventCount}, then per event {@code long eventTimeMs, int revision, float[featureCount],
 * int snapshotBytes (-1: none), byte[] KeyState}.
 *
 * @param modelFingerprint the model whose steps the history replays; another model's history is not used
 * @param baseState        the key's state before the oldest held event, or null when the key had none
 * @param baseWindow       the key's window before the oldest held event, or null (no window kept, or none yet)
 * @param events           held events in event-time order, strictly increasing
 */
public record KeyHistory(long modelFingerprint, int featureCount, KeyState baseState, FeatureWindow baseWindow,
                         List<Held> events) {

    private static final byte VERSION = 1;
    /** Revision of a held event that has had no forecast (a window model's key before its window is full). */
    public static final int NO_FORECAST = -1;

    public KeyHistory {
        events = List.copyOf(events);
    }

    /**
     * One held event.
     *
     * @param revision the revision of its latest published forecast, or {@link #NO_FORECAST}
     * @param snapshot the key's state after this event, or null when none is kept for it
     */
    public record Held(long eventTimeMs, float[] features, int revision, KeyState snapshot) {

        public Held withSnapshot(KeyState state) {
            return new Held(eventTimeMs, features, revision, state);
        }

        public long digest() {
            return KeyState.digest(eventTimeMs, features);
        }
    }

    /** Event time of the base's last event, or {@link Long#MIN_VALUE} when the history starts with the key. */
    public long baseTimeMs() {
        return baseState == null ? Long.MIN_VALUE : baseState.lastEventTimeMs();
    }

    /** Event time of the key's latest held event, or of the base when none is held. */
    public long latestTimeMs() {
        return events.isEmpty() ? baseTimeMs() : events.get(events.size() - 1).eventTimeMs();
    }

    /** Index of the first held event after {@code eventTimeMs}; {@code events.size()} when none is. */
    public int positionAfter(long eventTimeMs) {
        int position = events.size();
        while (position > 0 && events.get(position - 1).eventTimeMs() > eventTimeMs) {
            position--;
        }
        return position;
    }

    /** Index of the last held event before {@code position} with a snapshot; -1 for the base. */
    public int lastSnapshotBefore(int position) {
        for (int i = position - 1; i >= 0; i--) {
            if (events.get(i).snapshot() != null) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The history without its events up to and including {@code index}, which must have a snapshot: the
     * snapshot becomes the base, and the dropped events' features are appended to the base window.
     *
     * @param windowCapacity the card's window, 0 when it keeps none
     */
    public KeyHistory dropThrough(int index, int windowCapacity) {
        Held last = events.get(index);
        if (last.snapshot() == null) {
            throw new IllegalArgumentException("held event " + index + " has no snapshot to become the base");
        }
        FeatureWindow window = baseWindow;
        if (windowCapacity > 0) {
            window = window == null ? FeatureWindow.empty(featureCount, windowCapacity) : window;
            for (int i = 0; i <= index; i++) {
                window = window.append(events.get(i).features());
            }
        }
        return new KeyHistory(modelFingerprint, featureCount, last.snapshot(), window,
                events.subList(index + 1, events.size()));
    }

    /** The window before held event {@code index} (the base window with the events before it appended). */
    public FeatureWindow windowBefore(int index, int windowCapacity) {
        if (windowCapacity == 0) {
            return null;
        }
        FeatureWindow window = baseWindow == null ? FeatureWindow.empty(featureCount, windowCapacity) : baseWindow;
        for (int i = 0; i < index; i++) {
            window = window.append(events.get(i).features());
        }
        return window;
    }

    /** The state after held event {@code index} (a snapshot's), or the base for -1. */
    public KeyState stateAfter(int index) {
        return index < 0 ? baseState : events.get(index).snapshot();
    }

    public KeyHistory withEvents(List<Held> replaced) {
        return new KeyHistory(modelFingerprint, featureCount, baseState, baseWindow, replaced);
    }

    public byte[] encode() {
        byte[] base = baseState == null ? null : baseState.encode();
        byte[] window = baseWindow == null ? null : baseWindow.encode();
        byte[][] snapshots = new byte[events.size()][];
        int size = 1 + Long.BYTES + Integer.BYTES * 2 + length(base) + length(window);
        for (int i = 0; i < events.size(); i++) {
            KeyState snapshot = events.get(i).snapshot();
            snapshots[i] = snapshot == null ? null : snapshot.encode();
            size += Long.BYTES + Integer.BYTES + featureCount * Float.BYTES + length(snapshots[i]);
        }
        ByteBuffer buffer = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(VERSION).putLong(modelFingerprint).putInt(featureCount);
        putNested(buffer, base);
        putNested(buffer, window);
        buffer.putInt(events.size());
        for (int i = 0; i < events.size(); i++) {
            Held held = events.get(i);
            buffer.putLong(held.eventTimeMs()).putInt(held.revision());
            for (float feature : held.features()) {
                buffer.putFloat(feature);
            }
            putNested(buffer, snapshots[i]);
        }
        return buffer.array();
    }

    public static KeyHistory decode(byte[] bytes) {
        if (bytes.length < 1 + Long.BYTES + Integer.BYTES * 4 || bytes[0] != VERSION) {
            throw new StateFormatException("stored key history has " + bytes.length + " bytes and version "
                    + (bytes.length == 0 ? "none" : bytes[0]) + "; this build reads version " + VERSION);
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            buffer.get();
            long fingerprint = buffer.getLong();
            int featureCount = buffer.getInt();
            byte[] base = nested(buffer);
            byte[] window = nested(buffer);
            int count = buffer.getInt();
            List<Held> events = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                long time = buffer.getLong();
                int revision = buffer.getInt();
                float[] features = new float[featureCount];
                for (int f = 0; f < featureCount; f++) {
                    features[f] = buffer.getFloat();
                }
                byte[] snapshot = nested(buffer);
                events.add(new Held(time, features, revision, snapshot == null ? null : KeyState.decode(snapshot)));
            }
            if (buffer.hasRemaining()) {
                throw new StateFormatException("stored key history has " + buffer.remaining()
                        + " bytes after its " + count + " events");
            }
            return new KeyHistory(fingerprint, featureCount, base == null ? null : KeyState.decode(base),
                    window == null ? null : FeatureWindow.decode(window), events);
        } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
            throw new StateFormatException("stored key history of " + bytes.length + " bytes ends early");
        }
    }

    private static int length(byte[] nested) {
        return Integer.BYTES + (nested == null ? 0 : nested.length);
    }

    private static void putNested(ByteBuffer buffer, byte[] nested) {
        if (nested == null) {
            buffer.putInt(-1);
        } else {
            buffer.putInt(nested.length).put(nested);
        }
    }

    private static byte[] nested(ByteBuffer buffer) {
        int length = buffer.getInt();
        if (length < 0) {
            return null;
        }
        byte[] nested = new byte[length];
        buffer.get(nested);
        return nested;
    }
}
