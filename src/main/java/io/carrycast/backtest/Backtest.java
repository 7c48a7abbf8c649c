package io.carrycast.backtest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The stream processor's forecasting, without Kafka: events in file order, each key's state and window
 * kept in memory with the same rules (events not after the key's last event are refused as late).
 */
public final class Backtest {

    private final Forecaster forecaster;
    private final EventReader reader;
    private final String keyField;
    private final FeatureExtractor extractor;
    private final Map<String, KeyState> states = new HashMap<>();
    private final Map<String, FeatureWindow> windows = new HashMap<>();

    public Backtest(Forecaster forecaster, EventReader reader, String keyField) {
        this.forecaster = forecaster;
        this.reader = reader;
        this.keyField = keyField;
        this.extractor = new FeatureExtractor(forecaster.card());
    }

    /** The outcome of a run: the scores, and the events refused with why (first ones kept, all counted). */
    public record Result(List<Evaluation.Score> scores, int forecasts, int refused, List<String> firstRefusals) {
    }

    public Result run(List<ObjectNode> events, Evaluation evaluation, Consumer<Forecast> sink) {
        ModelCard card = forecaster.card();
        int forecasts = 0;
        int refused = 0;
        List<String> firstRefusals = new java.util.ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            ObjectNode event = events.get(i);
            try {
                String key = EventReader.keyField(event, keyField);
                long time = reader.eventTime(event, 0L);
                float[] features = extractor.extract(event, time);
                KeyState state = states.get(key);
                if (state != null && time <= state.lastEventTimeMs()) {
                    throw new InvalidEventException(InvalidEventException.Reason.LATE,
                            "event time is not after key '" + key + "''s last event");
                }
                evaluation.addActual(key, time, targetValues(card, event));
                Forecaster.Outcome outcome = forecaster.process(
                        List.of(new Forecaster.Request(key, time, features, state, windows.get(key)))).get(0);
                states.put(key, outcome.state());
                if (outcome.window() != null) {
                    windows.put(key, outcome.window());
                }
                if (outcome.forecast() != null) {
                    evaluation.addForecast(outcome.forecast());
                    sink.accept(outcome.forecast());
                    forecasts++;
                }
            } catch (InvalidEventException e) {
                refused++;
                if (firstRefusals.size() < 10) {
                    firstRefusals.add("event " + (i + 1) + ": " + e.reason().label() + ": " + e.getMessage());
                }
            }
        }
        return new Result(evaluation.scores(), forecasts, refused, firstRefusals);
    }

    /** The event's target field values, for scoring; missing ones are left out. */
    public static Map<String, Double> targetValues(ModelCard card, ObjectNode event) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (TargetSpec target : card.targets()) {
            try {
                values.put(target.field(), FeatureExtractor.number(event, target.field()));
            } catch (InvalidEventException notObserved) {
                // An event without the target still forecasts; it just cannot score one.
            }
        }
        return values;
    }
}
