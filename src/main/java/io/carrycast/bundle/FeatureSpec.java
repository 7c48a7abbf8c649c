package io.carrycast.bundle;

/**
 * One model input: either a numeric field of the event or a calendar feature of its time, z-scored with
 * the mean and standard deviation the model was trained with.
 *
 * @param field    the event field to read, or null for a calendar feature
 * @param calendar the calendar feature, or null for a field
 */
public record FeatureSpec(String field, CalendarFeature calendar, double mean, double std) {

    public boolean isField() {
        return field != null;
    }

    /** The name used in messages and reports: the field name or the calendar feature's card name. */
    public String name() {
        return isField() ? field : calendar.cardName();
    }

    public double normalise(double raw) {
        return (raw - mean) / std;
    }
}
