package io.carrycast.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenBucketTest {

    @Test
    void shouldReadBackWhatItWrites() {
        OpenBucket bucket = new OpenBucket(1_000L, 4_600_000L, 8_200_000L, 3, 4_650_000L, 4_700_000L, -42L,
                new double[] {1.5, -2.0, 0.0}, new double[] {7.25, Double.MIN_VALUE, -1e300},
                new long[] {4_690_000L, 4_700_000L}, new long[] {7L, -42L});

        byte[] bytes = bucket.encode();

        assertEquals(58 + 3 * 16 + 2 * 16, bytes.length);
        assertEquals(bucket, OpenBucket.decode(bytes));
    }

    @Test
    void shouldReadBackTheSteppedBucketsItKeeps() {
        OpenBucket.Kept kept = new OpenBucket.Kept(1_000L, new double[] {0.5, 2.0}, List.of(
                new OpenBucket.SteppedBucket(3_600_000L, 2, 3_700_000L, 3_800_000L, new double[] {1.0, -3.5}),
                new OpenBucket.SteppedBucket(7_200_000L, 1, 7_300_000L, 7_300_000L, new double[] {4.0, 4.0})));
        OpenBucket bucket = new OpenBucket(7_200_000L, 10_800_000L, 14_400_000L, 1, 11_000_000L, 11_000_000L, 9L,
                new double[] {4.0, 4.0}, new double[] {5.0, 6.0}, new long[] {11_000_000L}, new long[] {9L}, kept);

        byte[] bytes = bucket.encode();

        assertEquals(58 + 2 * 16 + 16 + (8 + 2 * 8 + 2) + 2 * (28 + 2 * 8), bytes.length);
        assertEquals(bucket, OpenBucket.decode(bytes));
    }

    @Test
    void shouldReadAVersion2BucketWithNoSteppedBucketsKept() {
        ByteBuffer version2 = ByteBuffer.allocate(57 + 16 + 16).order(ByteOrder.LITTLE_ENDIAN);
        version2.put((byte) 2).putLong(1_000L).putLong(4_600_000L).putLong(8_200_000L).putInt(3).putLong(4_650_000L)
                .putLong(4_700_000L).putLong(-42L).putShort((short) 1).putDouble(1.5).putDouble(7.25)
                .putShort((short) 1).putLong(4_700_000L).putLong(-42L);

        OpenBucket read = OpenBucket.decode(version2.array());

        assertEquals(new OpenBucket(1_000L, 4_600_000L, 8_200_000L, 3, 4_650_000L, 4_700_000L, -42L,
                new double[] {1.5}, new double[] {7.25}, new long[] {4_700_000L}, new long[] {-42L}), read);
    }

    @Test
    void shouldReadAVersion1BucketWithItsFirstEventTimeAndRecentEventsUnknown() {
        ByteBuffer version1 = ByteBuffer.allocate(47 + 16).order(ByteOrder.LITTLE_ENDIAN);
        version1.put((byte) 1).putLong(1_000L).putLong(4_600_000L).putLong(8_200_000L).putInt(3).putLong(4_700_000L)
                .putLong(-42L).putShort((short) 1).putDouble(1.5).putDouble(7.25);

        OpenBucket read = OpenBucket.decode(version1.array());

        assertEquals(new OpenBucket(1_000L, 4_600_000L, 8_200_000L, 3, Long.MIN_VALUE, 4_700_000L, -42L,
                new double[] {1.5}, new double[] {7.25}, new long[0], new long[0]), read);
    }

    @Test
    void shouldRefuseAnotherVersion() {
        byte[] bytes = OpenBucket.initial(2).encode();
        bytes[0] = 9;
        StateFormatException e = assertThrows(StateFormatException.class, () -> OpenBucket.decode(bytes));
        assertEquals("stored open bucket has 90 bytes and version 9; this build reads versions 1 to 3", e.getMessage());
    }
}
