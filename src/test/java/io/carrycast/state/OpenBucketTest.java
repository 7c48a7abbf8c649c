package io.carrycast.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class OpenBucketTest {

    @Test
    void shouldReadBackWhatItWrites() {
        OpenBucket bucket = new OpenBucket(1_000L, 4_600_000L, 8_200_000L, 3, 4_700_000L, -42L,
                new double[] {1.5, -2.0, 0.0}, new double[] {7.25, Double.MIN_VALUE, -1e300});

        byte[] bytes = bucket.encode();

        assertEquals(47 + 3 * 16, bytes.length);
        assertEquals(bucket, OpenBucket.decode(bytes));
    }

    @Test
    void shouldRefuseAnotherVersion() {
        byte[] bytes = OpenBucket.initial(2).encode();
        bytes[0] = 9;
        StateFormatException e = assertThrows(StateFormatException.class, () -> OpenBucket.decode(bytes));
        assertEquals("stored open bucket has 79 bytes and version 9; this build reads version 1", e.getMessage());
    }
}
