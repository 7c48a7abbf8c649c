package io.carrycast.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PendingEventTest {

    @Test
    void shouldReadBackAWaitingBucketWithWhatItHeld() {
        PendingEvent bucket = new PendingEvent(7, "meter-ü", 1_700_000_000_000L, new float[] {1.5f, -2f},
                StatePreparation.RESET_AFTER_GAP, 4, 2, 1_699_999_000_000L);

        PendingEvent read = PendingEvent.decode(bucket.encode());

        assertEquals(bucket.sequence(), read.sequence());
        assertEquals(bucket.key(), read.key());
        assertEquals(bucket.eventTimeMs(), read.eventTimeMs());
        assertArrayEquals(bucket.features(), read.features());
        assertEquals(bucket.preparation(), read.preparation());
        assertEquals(4, read.bucketEvents());
        assertEquals(2, read.filledBefore());
        assertEquals(1_699_999_000_000L, read.previousTimeMs());
    }

    @Test
    void shouldReadABucketStoredInTheSecondVersionWithThePreviousTimeUnknown() {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        byte[] version2 = ByteBuffer.allocate(2 + 16 + 8 + key.length + 4 + 8).order(ByteOrder.LITTLE_ENDIAN)
                .put((byte) 2).putLong(3).putLong(1000).put((byte) 0).putInt(key.length).put(key).putInt(1)
                .putFloat(0.25f).putInt(5).putInt(1).array();

        PendingEvent read = PendingEvent.decode(version2);

        assertEquals(5, read.bucketEvents());
        assertEquals(1, read.filledBefore());
        assertEquals(PendingEvent.PREVIOUS_UNKNOWN, read.previousTimeMs());
    }

    @Test
    void shouldReadAnEventStoredInTheFirstVersionAsAnEvent() {
        byte[] key = "k".getBytes(StandardCharsets.UTF_8);
        byte[] version1 = ByteBuffer.allocate(2 + 16 + 8 + key.length + 4).order(ByteOrder.LITTLE_ENDIAN).put((byte) 1)
                .putLong(3).putLong(1000).put((byte) 0).putInt(key.length).put(key).putInt(1).putFloat(0.25f).array();

        PendingEvent read = PendingEvent.decode(version1);

        assertFalse(read.isBucket());
        assertEquals("k", read.key());
        assertArrayEquals(new float[] {0.25f}, read.features());
        assertEquals(PendingEvent.PREVIOUS_UNKNOWN, read.previousTimeMs());
    }
}
