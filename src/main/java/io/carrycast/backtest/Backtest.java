package io.carrycast.backtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.forecast.LateEvents;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyHistory;
import io.carrycast.state.KeyState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The stream processor's forecasting without Kafka: events in file order, each key's state and window kept
 * in memory, and every event checked by the same {@link Admission} rules as in the stream. The same events
 * thus give the same forecasts and the same refusals: exact redeliveries are dropped and counted, events not
 * after their key's last one are refused as late, and gaps longer than the rule's maximum reset or re-prime
 * the key's state. Each event is stepped on its own (the stream may share a model call between keys).
 * With an allowed lateness, events behind their key's latest one are corrected by the stream's own
 * {@link LateEvents}: a file whose rows are not in time order gives the stream's corrected forecasts, and
 * the evaluation scores each event's latest revision.
 */
public final class Backtest {

    /** How many refusals a result keeps in full; all of them are counted. */
    public static final int REFUSALS_KEPT = 10;

    private final Forecaster forecaster;
    private final EventReader reader;
    private final String keyField;
    private final FeatureExtractor extractor;
    private final Admission admission;
    private final Map<String, KeyState> states = new HashMap<>();
    private final Map<String, FeatureWindow> windows = new HashMap<>();
    /** Null when late events are refused. */
    private final LateEvents lateEvents;
    private final Map<String, KeyHistory> histories = new HashMap<>();

    public Backtest(Forecaster forecaster, EventReader reader, String keyField, Admission.GapRule gapRule) {
        this(forecaster, reader, keyField, gapRule, LateEvents.Bound.NONE);
    }

    public Backtest(Forecaster forecaster, EventReader reader, String keyField, Admission.GapRule gapRule,
                    LateEvents.Bound lateness) {
        this.forecaster = forecaster;
        this.reader = reader;
        this.keyField = keyField;
        this.extractor = new FeatureExtractor(forecaster.card());
        this.admission = Admission.forModel(forecaster, gapRule);
        this.lateEvents = lateness.enabled() ? new LateEvents(forecaster, admission, lateness) : null;
    }

    /**
     * One event that could not be used, as the stream's dead-letter topic would have it.
     *
     * @param eventNumber the event's place in the input, from 1
     * @param key         its series key, or null when it has none
     */
    public record Refusal(int eventNumber, String key, Reason reason, String message) {
        @Override
        public String toString() {
            return "event " + eventNumber + (key == null ? "" : " (key '" + key + "')") + ": " + reason.label() + ": "
                    + message;
        }
    }

    /**
     * The outcome of a run.
     *
     * @param redeliveries    exact redeliveries dropped
     * @param refusedByReason refused events per reason, in the reasons' order
     * @param firstRefusals   the first {@value #REFUSALS_KEPT} refusals
     */
    public record Result(List<Evaluation.Score> scores, int forecasts, int redeliveries,
                         Map<Reason, Integer> refusedByReason, List<Refusal> firstRefusals) {
        public int refused() {
            return refusedByReason.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    public Result run(List<ObjectNode> events, Evaluation evaluation, Consumer<Forecast> sink) {
        ModelCard card = forecaster.card();
        int forecasts = 0;
        int redeliveries = 0;
        Map<Reason, Integer> refusedByReason = new EnumMap<>(Reason.class);
        List<Refusal> firstRefusals = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            ObjectNode event = events.get(i);
            String key = null;
            try {
                key = EventReader.keyField(event, keyField);
                long time = reader.eventTime(event, 0L);
                float[] features = extractor.extract(event, time);
                KeyState state = states.get(key);
                FeatureWindow window = windows.get(key);
                if (lateEvents != null && LateEvents.isBehind(time, state == null ? Long.MIN_VALUE
                        : state.lastEventTimeMs())) {
                    LateEvents.Correction correction = lateEvents.correct(key, time, features, state, window,
                            histories.get(key));
                    if (correction.redelivery()) {
                        redeliveries++;
                        continue;
                    }
                    evaluation.addActual(key, time, targetValues(card, event));
                    states.put(key, correction.state());
                    if (correction.window() != null) {
                        windows.put(key, correction.window());
                    }
                    histories.put(key, correction.history());
                    for (Forecast corrected : correction.forecasts()) {
                        evaluation.addForecast(corrected);
                        sink.accept(corrected);
                        forecasts++;
                    }
                    continue;
                }
                Admission.Decision decision = admission.admit(key, time, features,
                        Admission.LastAccepted.stepped(state), () -> window);
                if (decision.redelivery()) {
                    redeliveries++;
                    continue;
                }
                evaluation.addActual(key, time, targetValues(card, event));
                Forecaster.Request request = new Forecaster.Request(key, time, features, state, window,
                        decision.preparation());
                Forecaster.Outcome outcome = forecaster.process(List.of(request)).get(0);
                states.put(key, outcome.state());
                if (lateEvents != null) {
                    histories.put(key, lateEvents.record(histories.get(key), request, outcome));
                }
                if (outcome.window() != null) {
                    windows.put(key, outcome.window());
                }
                if (outcome.forecast() != null) {
                    evaluation.addForecast(outcome.forecast());
                    sink.accept(outcome.forecast());
                    forecasts++;
                }
            } catch (InvalidEventException e) {
                refusedByReason.merge(e.reason(), 1, Integer::sum);
                if (firstRefusals.size() < REFUSALS_KEPT) {
                    firstRefusals.add(new Refusal(i + 1, key, e.reason(), e.getMessage()));
                }
            }
        }
        return new Result(evaluation.scores(), forecasts, redeliveries, Collections.unmodifiableMap(refusedByReason),
                List.copyOf(firstRefusals));
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

    /** The card's target fields that no event carries a value in: no score can be computed for them. */
    public static List<String> targetsMissingFrom(ModelCard card, List<ObjectNode> events) {
        List<String> missing = new ArrayList<>();
        for (TargetSpec target : card.targets()) {
            boolean observed = false;
            for (ObjectNode event : events) {
                JsonNode value = event.get(target.field());
                if (value != null && !value.isNull()) {
                    observed = true;
                    break;
                }
            }
            if (!observed) {
                missing.add(target.field());
            }
        }
        return missing;
    }
}
