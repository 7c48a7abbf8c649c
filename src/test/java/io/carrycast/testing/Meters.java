package io.carrycast.testing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;

/** Reads carrycast's meters by the names and tags an operator queries. */
public final class Meters {

    private Meters() {
    }

    /**
     * The count of the counters, or of the recordings of the distribution summaries, named {@code name} with the
     * given tags (key, value, key, value...), summed over their other tags; 0 when there is none.
     */
    public static double count(MeterRegistry registry, String name, String... tags) {
        double count = 0;
        for (Meter meter : registry.find(name).tags(tags).meters()) {
            if (meter instanceof Counter counter) {
                count += counter.count();
            } else if (meter instanceof DistributionSummary summary) {
                count += summary.count();
            } else {
                throw new IllegalArgumentException(name + " is a " + meter.getId().getType() + ", not a count");
            }
        }
        return count;
    }
}
