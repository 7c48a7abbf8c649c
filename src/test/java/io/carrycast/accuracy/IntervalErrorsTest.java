package io.carrycast.accuracy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.state.StateFormatException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A key's interval errors: the window kept per target and step, the conformal rank, and their encoding. */
class IntervalErrorsTest {

    private static final Intervals LEVELS = new Intervals(new double[] {0.5, 0.8, 0.95}, 10);

    @Test
    void shouldBoundEachLevelByTheCeilOfNPlusOneTimesTheLevelThSmallestError() {
        IntervalErrors errors = IntervalErrors.empty();
        // 1..9 added out of order: n = 9
        for (int e : new int[] {5, 1, 9, 3, 7, 2, 8, 4, 6}) {
            errors.add("load", 2, e, LEVELS.window());
        }

        // k = ceil(10 * 0.5) = 5, ceil(10 * 0.8) = 8, ceil(10 * 0.95) = 10 > 9: too few for 0.95
        assertArrayEquals(new float[] {5f, 8f, Float.NaN}, errors.halfWidths("load", 2, LEVELS));
        assertArrayEquals(new float[] {Float.NaN, Float.NaN, Float.NaN}, errors.halfWidths("load", 1, LEVELS),
                "step 1 has no errors");
        assertArrayEquals(new float[] {Float.NaN, Float.NaN, Float.NaN}, errors.halfWidths("wind", 2, LEVELS));
    }

    @Test
    void shouldSelectTheElementSortingWouldPutAtEachRank() {
        Random random = new Random(7);
        for (int trial = 0; trial < 2_000; trial++) {
            float[] values = new float[1 + random.nextInt(400)];
            int distinct = 1 + random.nextInt(values.length); // few distinct values in some trials: many ties
            for (int i = 0; i < values.length; i++) {
                values[i] = random.nextInt(distinct) * 0.25f;
            }
            float[] sorted = values.clone();
            Arrays.sort(sorted);
            int k = 1 + random.nextInt(values.length);
            assertEquals(sorted[k - 1], IntervalErrors.kthSmallest(values.clone(), k), 0.0f,
                    "rank " + k + " of " + values.length);
            // A lower rank selected among the k smallest that a first selection left in front, as halfWidths does.
            float[] selected = values.clone();
            IntervalErrors.kthSmallest(selected, k);
            int lower = 1 + random.nextInt(k);
            assertEquals(sorted[lower - 1], IntervalErrors.kthSmallest(selected, lower, k), 0.0f,
                    "rank " + lower + " among the " + k + " smallest of " + values.length);
        }
    }

    @Test
    void shouldKeepOnlyTheLastWindowErrorsOfEachStep() {
        IntervalErrors errors = IntervalErrors.empty();
        for (int e = 1; e <= 25; e++) {
            errors.add("load", 1, 100 + e, 10);
            errors.add("load", 3, -e, 10); // absolute errors are passed in; the sign is kept as given
        }

        assertArrayEquals(new float[] {116, 117, 118, 119, 120, 121, 122, 123, 124, 125}, errors.kept("load", 1));
        assertEquals(0, errors.kept("load", 2).length, "a step between kept ones has none");
        // n = 10: 0.95 needs k = ceil(11 * 0.95) = 11 > 10
        assertEquals(Float.NaN, errors.halfWidths("load", 1, LEVELS)[2]);
        assertEquals(124f, errors.halfWidths("load", 1, LEVELS)[1], "k = ceil(11 * 0.8) = 9: the 9th smallest of 116..125");
    }

    @Test
    void shouldNeedFourErrorsForEightyPercentAndNineteenForNinetyFive() {
        assertEquals(1, Intervals.errorsNeeded(0.5));
        assertEquals(4, Intervals.errorsNeeded(0.8));
        assertEquals(9, Intervals.errorsNeeded(0.9));
        assertEquals(19, Intervals.errorsNeeded(0.95));
        assertEquals(99, Intervals.errorsNeeded(0.99));
    }

    @Test
    void shouldReadBackItsErrorsAsFloat32() {
        IntervalErrors errors = IntervalErrors.empty();
        errors.add("température", 1, 0.1, 100);
        errors.add("température", 1, 2.5, 100);
        errors.add("load", 3, 1e-7, 100);

        byte[] encoded = errors.encode();
        IntervalErrors read = IntervalErrors.decode(encoded);

        assertArrayEquals(new float[] {0.1f, 2.5f}, read.kept("température", 1));
        assertArrayEquals(new float[] {1e-7f}, read.kept("load", 3));
        assertEquals(0, read.kept("load", 1).length);
        // version, target count; per target name and step count; per step its count and floats
        assertEquals(2 + (2 + "température".getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 2)
                + (2 + 4 + 4) + (2 + 4 + 2) + 3 * 2 + 4, encoded.length);
        assertTrue(!read.changed(), "nothing added since it was read");
    }

    @Test
    void shouldRefuseErrorsCutShortNamingTheirSize() {
        IntervalErrors errors = IntervalErrors.empty();
        errors.add("load", 1, 1.0, 100);
        byte[] cut = java.util.Arrays.copyOf(errors.encode(), 8);

        StateFormatException e = assertThrows(StateFormatException.class, () -> IntervalErrors.decode(cut));
        assertTrue(e.getMessage().startsWith("stored interval errors (8 bytes) are cut short or inconsistent"),
                e.getMessage());
    }

    @Test
    void shouldRefuseLevelsOutsideZeroAndOneOrNotAscending() {
        assertEquals("interval level must be strictly between 0 and 1, found 1.0",
                assertThrows(IllegalArgumentException.class,
                        () -> new Intervals(new double[] {0.8, 1.0}, 10)).getMessage());
        assertEquals("interval levels must be ascending and distinct, found [0.95, 0.8]",
                assertThrows(IllegalArgumentException.class,
                        () -> new Intervals(new double[] {0.95, 0.8}, 10)).getMessage());
    }
}
