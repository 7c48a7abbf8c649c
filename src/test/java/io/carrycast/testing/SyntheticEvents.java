package io.carrycast.testing;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Many keys' events for the {@code level/flow/pressure} fixtures, drawn from a seeded generator so every
 * run sends the same stream; keys are interleaved as a live feed would deliver them.
 */
public final class SyntheticEvents {

    private SyntheticEvents() {
    }

    public static List<Fixture.Event> levelFlowPressure(int keys, int eventsPerKey, long seed) {
        Random random = new Random(seed);
        long start = Instant.parse("2024-05-01T00:00:00Z").toEpochMilli();
        List<Fixture.Event> events = new ArrayList<>(keys * eventsPerKey);
        for (int i = 0; i < eventsPerKey; i++) {
            for (int k = 0; k < keys; k++) {
                long time = start + i * 60_000L + k;
                ObjectNode value = JsonNodeFactory.instance.objectNode();
                value.put("time", Instant.ofEpochMilli(time).toString());
                value.put("level", 12 + 3 * random.nextGaussian());
                value.put("flow", 250 + 40 * random.nextGaussian());
                value.put("pressure", 1013 + 8 * random.nextGaussian());
                events.add(new Fixture.Event(String.format("meter-%04d", k), time, value));
            }
        }
        return events;
    }

    /**
     * Irregular events for the {@code resample_*} fixtures' fields (temp, sales, peak, reading, visits): per key
     * and hour, 0 to 5 events at distinct random seconds, keys interleaved in time order.
     */
    public static List<Fixture.Event> irregularReadings(int keys, int hours, long seed) {
        Random random = new Random(seed);
        long start = Instant.parse("2024-05-01T00:30:00Z").toEpochMilli();
        List<Fixture.Event> events = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            for (int h = 0; h < hours; h++) {
                int count = random.nextInt(6);
                int[] seconds = random.ints(0, 3600).distinct().limit(count).sorted().toArray();
                for (int second : seconds) {
                    long time = start + h * 3_600_000L + second * 1000L;
                    ObjectNode value = JsonNodeFactory.instance.objectNode();
                    value.put("time", Instant.ofEpochMilli(time).toString());
                    value.put("temp", 18 + 6.5 * random.nextGaussian());
                    value.put("sales", 40 + 25 * random.nextGaussian());
                    value.put("peak", 15 + 5 * random.nextGaussian());
                    value.put("reading", 100 + 20 * random.nextGaussian());
                    value.put("visits", 1);
                    events.add(new Fixture.Event(String.format("meter-%04d", k), time, value));
                }
            }
        }
        events.sort(java.util.Comparator.comparingLong(Fixture.Event::timeMs));
        return events;
    }
}
