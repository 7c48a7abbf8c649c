package io.carrycast.backtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.ActualsReader;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.engine.MapBucketStore;
import io.carrycast.engine.OpenBucketIndex;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.forecast.KeyStep;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.Resampler;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyHistory;
import io.carrycast.state.KeyState;
import io.carrycast.state.OpenBucket;
import io.carrycast.state.PendingEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
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
 *
 * <p>A card with a resample block is resampled by the stream's rules ({@link Resampler}): a key's bucket is
 * stepped when its next event falls into a later bucket, or once the file's stream time (the latest event time
 * read so far) has passed the bucket's end by the grace; the buckets still open at the end of the file are
 * stepped last, in the order they end. A bucket's actual values, for scoring, are its aggregates of the target
 * fields the card resamples.
 */
public final class Backtest {

    /** How many refusals a result keeps in full; all of them are counted. */
    public static final int REFUSALS_KEPT = 10;

    private final Forecaster forecaster;
    private final EventReader reader;
    private final String keyField;
    private final FeatureExtractor extractor;
    private final KeyStep keyStep;
    private final ActualsReader actuals;
    private final Map<String, KeyState> states = new HashMap<>();
    private final Map<String, FeatureWindow> windows = new HashMap<>();
    /** Null when late events are refused. */
    private final LateEvents lateEvents;
    private final Map<String, KeyHistory> histories = new HashMap<>();
    /** Null when the card steps once per event. */
    private final Resampler resampler;
    private final long resampleGraceMs;
    private final OpenBucketIndex buckets = new OpenBucketIndex(new MapBucketStore());
    private long streamTimeMs = Long.MIN_VALUE;

    /** A backtest with the default resampling grace ({@link Resampler#DEFAULT_GRACE_MS}). */
    public Backtest(Forecaster forecaster, EventReader reader, String keyField, Admission.GapRule gapRule) {
        this(forecaster, reader, keyField, gapRule, LateEvents.Bound.NONE,
                Duration.ofMillis(Resampler.DEFAULT_GRACE_MS));
    }

    /**
     * @param lateness      how far behind its key's latest event an event is still corrected (the stream's rule)
     * @param resampleGrace how far stream time passes a resampled bucket's end before it is stepped
     */
    public Backtest(Forecaster forecaster, EventReader reader, String keyField, Admission.GapRule gapRule,
                    LateEvents.Bound lateness, Duration resampleGrace) {
        this.forecaster = forecaster;
        this.reader = reader;
        this.keyField = keyField;
        this.extractor = new FeatureExtractor(forecaster.card());
        Admission admission = Admission.forModel(forecaster, gapRule);
        this.resampler = Resampler.forCard(forecaster.card(), extractor, lateness);
        this.keyStep = new KeyStep(forecaster, admission, resampler);
        this.actuals = ActualsReader.forCard(forecaster.card());
        this.resampleGraceMs = resampleGrace.toMillis();
        this.lateEvents = LateEvents.forModel(forecaster, admission, lateness, resampler);
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
                if (resampler != null) {
                    OpenBucket stored = buckets.get(key);
                    Resampler.Added added = resampler.add(key, stored, time, extractor.fieldValues(event));
                    if (added.redelivery()) {
                        redeliveries++;
                        continue;
                    }
                    if (added.revision() != null) {
                        forecasts += apply(key, lateEvents.revise(key, time, states.get(key), windows.get(key),
                                histories.get(key), added.revision()), evaluation, sink);
                    }
                    forecasts += stepBuckets(key, added.steps(), evaluation, sink);
                    buckets.put(key, stored, added.bucket());
                    streamTimeMs = Math.max(streamTimeMs, time);
                    forecasts += stepEndedBuckets(evaluation, sink);
                    continue;
                }
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
                    evaluation.addActual(key, time, actuals.read(event).observed());
                    forecasts += apply(key, correction, evaluation, sink);
                    continue;
                }
                KeyStep.Stepped stepped = keyStep.stepAlone(key, time, features, state, window,
                        PendingEvent.NOT_A_BUCKET, 0);
                if (stepped == null) {
                    redeliveries++;
                    continue;
                }
                evaluation.addActual(key, time, actuals.read(event).observed());
                forecasts += keep(key, stepped, evaluation, sink);
            } catch (InvalidEventException e) {
                refusedByReason.merge(e.reason(), 1, Integer::sum);
                if (firstRefusals.size() < REFUSALS_KEPT) {
                    firstRefusals.add(new Refusal(i + 1, key, e.reason(), e.getMessage()));
                }
            }
        }
        if (resampler != null) {
            streamTimeMs = Long.MAX_VALUE;
            forecasts += stepEndedBuckets(evaluation, sink);
        }
        return new Result(evaluation.scores(), forecasts, redeliveries, Collections.unmodifiableMap(refusedByReason),
                List.copyOf(firstRefusals));
    }

    /** Steps the open buckets stream time has passed by the grace, in the order they end, then by key. */
    private int stepEndedBuckets(Evaluation evaluation, Consumer<Forecast> sink) {
        long endedBy = streamTimeMs == Long.MAX_VALUE ? Long.MAX_VALUE : streamTimeMs - resampleGraceMs;
        int made = 0;
        for (Map.Entry<String, List<Resampler.Step>> closed : buckets.closeEndedBy(endedBy, resampler).entrySet()) {
            made += stepBuckets(closed.getKey(), closed.getValue(), evaluation, sink);
        }
        return made;
    }

    /**
     * Keeps a correction's replayed state, window and history and publishes its forecasts, as the stream does; a
     * revised bucket's aggregates become its actuals. Returns the forecasts published.
     */
    private int apply(String key, LateEvents.Correction correction, Evaluation evaluation, Consumer<Forecast> sink) {
        states.put(key, correction.state());
        if (correction.window() != null) {
            windows.put(key, correction.window());
        }
        histories.put(key, correction.history());
        for (int i = 0; i < correction.forecasts().size(); i++) {
            Forecast forecast = correction.forecasts().get(i);
            if (!correction.buckets().isEmpty()) {
                evaluation.addActual(key, forecast.eventTimeMs(), actuals.read(resampler, correction.buckets().get(i)).observed());
            }
            evaluation.addForecast(forecast);
            sink.accept(forecast);
        }
        return correction.forecasts().size();
    }

    /** Steps one key's closed bucket (fills first) as the stream does; returns the forecasts made. */
    private int stepBuckets(String key, List<Resampler.Step> steps, Evaluation evaluation, Consumer<Forecast> sink) {
        int made = 0;
        for (Resampler.Step step : steps) {
            KeyStep.Stepped stepped = keyStep.stepAlone(key, step.startMs(), step.features(), states.get(key),
                    windows.get(key), step.events(), step.filledBefore());
            if (stepped == null) {
                continue;
            }
            if (stepped.published() != null) {
                evaluation.addActual(key, step.startMs(), actuals.read(resampler, step).observed());
            }
            made += keep(key, stepped, evaluation, sink);
        }
        return made;
    }

    /** Keeps a step's state, window and history and publishes its forecast, as the stream does; returns 1 or 0. */
    private int keep(String key, KeyStep.Stepped stepped, Evaluation evaluation, Consumer<Forecast> sink) {
        Forecaster.Outcome outcome = stepped.outcome();
        states.put(key, outcome.state());
        if (outcome.window() != null) {
            windows.put(key, outcome.window());
        }
        if (lateEvents != null) {
            histories.put(key, lateEvents.record(histories.get(key), stepped));
        }
        if (stepped.published() == null) {
            return 0;
        }
        evaluation.addForecast(stepped.published());
        sink.accept(stepped.published());
        return 1;
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
