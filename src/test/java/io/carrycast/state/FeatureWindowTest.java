package io.carrycast.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FeatureWindowTest {

    @Test
    void shouldKeepTheNewestVectorsOldestFirst() {
        FeatureWindow window = FeatureWindow.empty(2, 3);
        for (int i = 1; i <= 5; i++) {
            window = window.append(new float[] {i, -i});
        }
        assertTrue(window.isFull());
        assertArrayEquals(new float[] {3, -3, 4, -4, 5, -5}, window.values());
    }

    @Test
    void shouldNotBeFullBeforeCapacityEvents() {
        FeatureWindow window = FeatureWindow.empty(1, 3).append(new float[] {1}).append(new float[] {2});
        assertFalse(window.isFull());
        assertEquals(2, window.size());
    }

    @Test
    void shouldRoundTripThroughItsEncoding() {
        FeatureWindow window = FeatureWindow.empty(2, 4).append(new float[] {1.25f, 2}).append(new float[] {3, 4.5f});
        FeatureWindow decoded = FeatureWindow.decode(window.encode());
        assertEquals(2, decoded.featureCount());
        assertEquals(4, decoded.capacity());
        assertArrayEquals(window.values(), decoded.values());
    }

    @Test
    void shouldKeepTheNewestVectorsWhenCapacityShrinks() {
        FeatureWindow window = FeatureWindow.empty(1, 4);
        for (int i = 1; i <= 4; i++) {
            window = window.append(new float[] {i});
        }
        assertArrayEquals(new float[] {3, 4}, window.withCapacity(2).values());
    }
}
