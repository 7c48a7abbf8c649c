package io.carrycast.forecast;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.FeatureSpec;
import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.InvalidEventException.Reason;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a model's normalised input vector from an event, as the card lists the features: from a parsed tree
 * ({@link #extract(ObjectNode, long)}) or from the values a streaming read found
 * ({@link #extract(EventReader.Values, long)}), with the same rule for each field ({@link #finiteNumber}).
 */
public final class FeatureExtractor {

    private final List<FeatureSpec> features;
    private final ModelCard card;
    private final boolean needsCalendar;
    /** The distinct event fields the features read, in card order: slot i of a streaming read. */
    private final List<String> fieldNames = new ArrayList<>();
    /** Per feature, its field's slot, or -1 for a calendar feature. */
    private final int[] slots;

    public FeatureExtractor(ModelCard card) {
        this.card = card;
        this.features = card.features();
        this.needsCalendar = features.stream().anyMatch(f -> !f.isField());
        this.slots = new int[features.size()];
        for (int i = 0; i < slots.length; i++) {
            FeatureSpec feature = features.get(i);
            if (!feature.isField()) {
                slots[i] = -1;
            } else {
                if (!fieldNames.contains(feature.field())) {
                    fieldNames.add(feature.field());
                }
                slots[i] = fieldNames.indexOf(feature.field());
            }
        }
    }

    /** The event fields the features read; pass them to {@link EventReader#fields} in this order. */
    public List<String> fieldNames() {
        return List.copyOf(fieldNames);
    }

    public float[] extract(ObjectNode event, long eventTimeMs) {
        float[] vector = new float[features.size()];
        ZonedDateTime time = calendarTime(eventTimeMs);
        for (int i = 0; i < vector.length; i++) {
            FeatureSpec feature = features.get(i);
            double raw = feature.isField() ? finiteNumber(event.get(feature.field()), feature.field())
                    : feature.calendar().valueAt(time);
            vector[i] = (float) feature.normalise(raw);
        }
        return vector;
    }

    /** The features from a streaming read for {@link #fieldNames()}. */
    public float[] extract(EventReader.Values event, long eventTimeMs) {
        float[] vector = new float[features.size()];
        ZonedDateTime time = calendarTime(eventTimeMs);
        for (int i = 0; i < vector.length; i++) {
            FeatureSpec feature = features.get(i);
            int slot = slots[i];
            double raw;
            if (slot < 0) {
                raw = feature.calendar().valueAt(time);
            } else {
                // A finite number is what the rule would return; anything else the rule judges.
                raw = event.isNumber(slot) ? event.number(slot) : finiteNumber(event.node(slot), feature.field());
            }
            vector[i] = (float) feature.normalise(raw);
        }
        return vector;
    }

    /**
     * The raw values of {@link #fieldNames()} in a streaming read, judged by the same rule as
     * {@link #extract(EventReader.Values, long)}: what a resampled bucket aggregates.
     */
    public double[] fieldValues(EventReader.Values event) {
        double[] values = new double[fieldNames.size()];
        for (int slot = 0; slot < values.length; slot++) {
            values[slot] = event.isNumber(slot) ? event.number(slot) : finiteNumber(event.node(slot), fieldNames.get(slot));
        }
        return values;
    }

    /** The raw values of {@link #fieldNames()} in a parsed event. */
    public double[] fieldValues(ObjectNode event) {
        double[] values = new double[fieldNames.size()];
        for (int slot = 0; slot < values.length; slot++) {
            values[slot] = finiteNumber(event.get(fieldNames.get(slot)), fieldNames.get(slot));
        }
        return values;
    }

    /**
     * The features for raw field values (slot i for {@link #fieldNames()} entry i), calendar features computed
     * for {@code timeMs}: a resampled bucket's input, stamped with the bucket's start.
     */
    public float[] extract(double[] fieldValues, long timeMs) {
        float[] vector = new float[features.size()];
        ZonedDateTime time = calendarTime(timeMs);
        for (int i = 0; i < vector.length; i++) {
            FeatureSpec feature = features.get(i);
            double raw = slots[i] < 0 ? feature.calendar().valueAt(time) : fieldValues[slots[i]];
            vector[i] = (float) feature.normalise(raw);
        }
        return vector;
    }

    private ZonedDateTime calendarTime(long eventTimeMs) {
        return needsCalendar ? Instant.ofEpochMilli(eventTimeMs).atZone(card.timezone()) : null;
    }

    /** A finite number from a numeric field, or from a string holding one. */
    public static double number(ObjectNode event, String field) {
        return finiteNumber(event.get(field), field);
    }

    /**
     * The rule for a feature field's value: a finite number, or a string holding one.
     *
     * @param value the field's value, or null when the event lacks the field
     */
    public static double finiteNumber(JsonNode value, String field) {
        if (value == null || value.isNull()) {
            throw new InvalidEventException(Reason.MISSING_FEATURE, "event has no field '" + field + "'");
        }
        double number;
        if (value.isNumber()) {
            number = value.doubleValue();
        } else if (value.isTextual()) {
            try {
                number = Double.parseDouble(value.textValue().trim());
            } catch (NumberFormatException e) {
                throw new InvalidEventException(Reason.NOT_A_NUMBER, "event field '" + field + "' must be a number, found "
                        + value);
            }
        } else {
            throw new InvalidEventException(Reason.NOT_A_NUMBER, "event field '" + field + "' must be a number, found "
                    + value);
        }
        if (!Double.isFinite(number)) {
            throw new InvalidEventException(Reason.NOT_FINITE, "event field '" + field + "' must be finite, found "
                    + value);
        }
        return number;
    }
}
