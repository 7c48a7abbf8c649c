package io.carrycast.forecast;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.FeatureSpec;
import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.InvalidEventException.Reason;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;

/** Builds a model's normalised input vector from an event, as the card lists the features. */
public final class FeatureExtractor {

    private final List<FeatureSpec> features;
    private final ModelCard card;
    private final boolean needsCalendar;

    public FeatureExtractor(ModelCard card) {
        this.card = card;
        this.features = card.features();
        this.needsCalendar = features.stream().anyMatch(f -> !f.isField());
    }

    public float[] extract(ObjectNode event, long eventTimeMs) {
        float[] vector = new float[features.size()];
        ZonedDateTime time = needsCalendar ? Instant.ofEpochMilli(eventTimeMs).atZone(card.timezone()) : null;
        for (int i = 0; i < vector.length; i++) {
            FeatureSpec feature = features.get(i);
            double raw = feature.isField() ? number(event, feature.field()) : feature.calendar().valueAt(time);
            vector[i] = (float) feature.normalise(raw);
        }
        return vector;
    }

    /** A finite number from a numeric field, or from a string holding one. */
    public static double number(ObjectNode event, String field) {
        JsonNode value = event.get(field);
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
