package io.carrycast.forecast;

import java.util.List;
import java.util.Map;

/**
 * One forecast: what a key's model predicts after one event.
 *
 * @param eventTimeMs  time of the event the forecast was made at
 * @param stepsSeen    events this key's state has been stepped with, this one included
 * @param points       one per horizon step, nearest first
 */
public record Forecast(String key, long eventTimeMs, String modelName, String modelVersion, String mode,
                       long stepsSeen, List<Point> points) {

    public Forecast {
        points = List.copyOf(points);
    }

    /**
     * @param step         1 for the next event, up to the horizon
     * @param targetTimeMs event time + step * cadence
     * @param values       de-normalised value per target field, in the card's target order
     */
    public record Point(int step, long targetTimeMs, Map<String, Double> values) {
    }
}
