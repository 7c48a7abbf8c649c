package io.carrycast.bundle;

import java.util.Locale;
import java.util.Map;

/**
 * The card's {@code resample} block: the model was trained on one value per cadence bucket, so each key's
 * irregular events are combined per bucket before the model is stepped ({@link io.carrycast.forecast.Resampler}).
 * Checked against the card's features by {@link ModelCardParser}.
 *
 * @param defaultAggregate how a field's events in one bucket are combined unless {@link #fields} says otherwise
 * @param fields           per event field, its own aggregate
 * @param empty            what a bucket without events between two stepped ones becomes
 * @param maxFill          the most empty buckets filled in a row; after a longer silence none are filled and
 *                         the gap policy ({@code carrycast.state.max.gap.ms}) decides
 */
public record Resample(Aggregate defaultAggregate, Map<String, Aggregate> fields, Empty empty, int maxFill) {

    public Resample {
        fields = Map.copyOf(fields);
    }

    /** The aggregate for event field {@code field}. */
    public Aggregate aggregateOf(String field) {
        return fields.getOrDefault(field, defaultAggregate);
    }

    /** How a bucket's values of one field are combined. Stored by ordinal nowhere; the card names them. */
    public enum Aggregate {
        MEAN, SUM, MIN, MAX, FIRST, LAST, COUNT;

        public String cardName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What an empty bucket becomes. */
    public enum Empty {
        /** Each field keeps the previous bucket's value. */
        CARRY,
        /** Each field is 0 in raw units (a sum of nothing, a count of nothing). */
        ZEROS,
        /** No step: the next bucket with events follows on, and the gap policy judges the silence. */
        SKIP;

        public String cardName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
