package io.carrycast.backtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.ActualsReader;
import io.carrycast.accuracy.Intervals;
import io.carrycast.accuracy.Scorer;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.engine.ForecastEngine;
import io.carrycast.engine.RouteStates;
import io.carrycast.engine.Router;
import io.carrycast.engine.MapBucketStore;
import io.carrycast.engine.MapKeyRecords;
import io.carrycast.engine.OpenBucketIndex;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.Resampler;
import io.carrycast.metrics.CarrycastMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The stream processor's forecasting without Kafka: events in file order through the stream's own
 * {@link ForecastEngine}, each key's records kept in memory ({@link MapKeyRecords}, {@link MapBucketStore}). The
 * same events thus give the same forecasts and the same refusals: exact redeliveries are dropped and counted,
 * events not after their key's last one are refused as late, and gaps longer than the rule's maximum reset or
 * re-prime the key's state. Each event is stepped on its own (the stream may share a model call between keys).
 * With an allowed lateness, events behind their key's latest one are corrected ({@link LateEvents}): a file whose
 * rows are not in time order gives the stream's corrected forecasts, and the evaluation scores each event's latest
 * revision.
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

    private static final Scorer.Sink DISCARDED_SCORES = new Scorer.Sink() {
        @Override
        public void scored(io.carrycast.accuracy.Score score) {
        }

        @Override
        public void skipped(String modelName, String modelVersion, String target, int step, Scorer.Skip why) {
        }
    };

    private final String keyField;
    /** Null for one model; else what picks each event's route, as the stream's does. */
    private final Router router;
    /** One per route, in the router's order, over the same key records; one without routes. */
    private final List<ForecastEngine> engines = new ArrayList<>();
    private final MapKeyRecords records = new MapKeyRecords();
    private final List<ActualsReader> actuals = new ArrayList<>();
    private final long resampleGraceMs;
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
        this(null, List.of(forecaster), reader, keyField, gapRule, lateness, resampleGrace, Intervals.NONE);
    }

    /**
     * @param intervals the intervals each forecast carries, computed from the key's scored errors as the stream
     *                  computes them; the backtest's table then adds their coverage, width and interval score
     */
    public Backtest(Forecaster forecaster, EventReader reader, String keyField, Admission.GapRule gapRule,
                    LateEvents.Bound lateness, Duration resampleGrace, Intervals intervals) {
        this(null, List.of(forecaster), reader, keyField, gapRule, lateness, resampleGrace, intervals);
    }

    /**
     * A backtest of a deployment with routes: each event goes to the route {@code router} picks, as in the stream,
     * and is forecast by that route's model; the routes share each key's records, so a key that moves between
     * routes starts over on its new one as in the stream ({@link RouteStates}).
     *
     * @param router      null for one model
     * @param forecasters one per route of {@code router}, in its order
     * @param intervals   as for the backtest of one model, for every route
     */
    public Backtest(Router router, List<Forecaster> forecasters, EventReader reader, String keyField,
                    Admission.GapRule gapRule, LateEvents.Bound lateness, Duration resampleGrace, Intervals intervals) {
        this.keyField = keyField;
        this.router = router;
        RouteStates states = router == null ? null : new RouteStates();
        forecasters.forEach(forecaster -> intervals.requireServable(forecaster.runner().bundle()));
        for (int r = 0; r < forecasters.size(); r++) {
            // The engine scores only to keep the errors the intervals come from; the table scores on its own.
            engines.add(new ForecastEngine(new ForecastEngine.Settings(reader, gapRule, lateness, intervals), records,
                    new OpenBucketIndex(new MapBucketStore()), intervals.enabled() ? DISCARDED_SCORES : null,
                    CarrycastMetrics.detached(), forecasters.get(r),
                    states == null ? null : states.forRoute(r, router.routes().get(r).name())));
            actuals.add(ActualsReader.forCard(forecasters.get(r).card()));
        }
        this.resampleGraceMs = resampleGrace.toMillis();
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

    /** What one run counts, and where its forecasts and actuals go. */
    private static final class Run {
        private final Evaluation evaluation;
        private final Consumer<Forecast> sink;
        private int forecasts;
        private int redeliveries;
        private final Map<Reason, Integer> refusedByReason = new EnumMap<>(Reason.class);
        private final List<Refusal> firstRefusals = new ArrayList<>();

        Run(Evaluation evaluation, Consumer<Forecast> sink) {
            this.evaluation = evaluation;
            this.sink = sink;
        }

        void refused(int eventNumber, String key, InvalidEventException e) {
            refusedByReason.merge(e.reason(), 1, Integer::sum);
            if (firstRefusals.size() < REFUSALS_KEPT) {
                firstRefusals.add(new Refusal(eventNumber, key, e.reason(), e.getMessage()));
            }
        }

        void publish(Forecast forecast) {
            evaluation.addForecast(forecast);
            sink.accept(forecast);
            forecasts++;
        }

        Result result() {
            return new Result(evaluation.scores(), forecasts, redeliveries,
                    Collections.unmodifiableMap(refusedByReason), List.copyOf(firstRefusals));
        }
    }

    public Result run(List<ObjectNode> events, Evaluation evaluation, Consumer<Forecast> sink) {
        Run run = new Run(evaluation, sink);
        Router.Chooser chooser = router == null ? null : router.chooser();
        for (int i = 0; i < events.size(); i++) {
            ObjectNode event = events.get(i);
            String key = null;
            try {
                key = EventReader.keyField(event, keyField);
                int route = chooser == null ? 0 : chooser.choose(key, event);
                if (engines.get(route).resamples()) {
                    addToBucket(run, route, key, event);
                } else {
                    step(run, route, key, event);
                }
            } catch (InvalidEventException e) {
                run.refused(i + 1, key, e);
            }
        }
        if (engines.stream().anyMatch(ForecastEngine::resamples)) {
            streamTimeMs = Long.MAX_VALUE;
            stepEndedBuckets(run);
        }
        return run.result();
    }

    /** Steps one event, or corrects it when it is behind its key's latest one, as the stream does. */
    private void step(Run run, int route, String key, ObjectNode event) {
        ForecastEngine engine = engines.get(route);
        ActualsReader actuals = this.actuals.get(route);
        ForecastEngine.Admitted admitted = engine.accept(key, event, 0L);
        if (admitted == null) {
            run.redeliveries++;
            return;
        }
        if (admitted.late()) {
            ForecastEngine.Corrected corrected = engine.correct(admitted);
            if (corrected == null) {
                run.redeliveries++;
                return;
            }
            run.evaluation.addActual(key, admitted.event().eventTimeMs(), actuals.read(event).observed());
            apply(run, route, corrected);
            return;
        }
        run.evaluation.addActual(key, admitted.event().eventTimeMs(), actuals.read(event).observed());
        keep(run, engine.step(List.of(admitted)));
    }

    /** Adds one event to its key's open bucket and steps what it closed, then what stream time has passed. */
    private void addToBucket(Run run, int route, String key, ObjectNode event) {
        ForecastEngine engine = engines.get(route);
        ForecastEngine.BucketArrival arrival = engine.addToBucket(key, event, 0L);
        if (arrival == null) {
            run.redeliveries++;
            return;
        }
        if (arrival.added().revision() != null) {
            apply(run, route, engine.revise(arrival));
        }
        stepBuckets(run, route, key, arrival.added().steps());
        engine.keepBucket(arrival);
        streamTimeMs = Math.max(streamTimeMs, arrival.eventTimeMs());
        stepEndedBuckets(run);
    }

    /**
     * Steps the open buckets stream time has passed by the grace, route by route, in the order they end, then by
     * key.
     */
    private void stepEndedBuckets(Run run) {
        long endedBy = streamTimeMs == Long.MAX_VALUE ? Long.MAX_VALUE : streamTimeMs - resampleGraceMs;
        for (int route = 0; route < engines.size(); route++) {
            if (!engines.get(route).resamples()) {
                continue;
            }
            for (Map.Entry<String, List<Resampler.Step>> closed
                    : engines.get(route).closeEndedBy(endedBy).entrySet()) {
                stepBuckets(run, route, closed.getKey(), closed.getValue());
            }
        }
    }

    /** Steps one key's closed bucket (fills first) as the stream does. */
    private void stepBuckets(Run run, int route, String key, List<Resampler.Step> steps) {
        ForecastEngine engine = engines.get(route);
        for (Resampler.Step step : steps) {
            ForecastEngine.Admitted admitted = engine.admitBucket(key, step, null, 0);
            if (admitted == null) {
                continue;
            }
            ForecastEngine.Stepped stepped = engine.step(List.of(admitted));
            if (!stepped.forecasts().isEmpty()) {
                run.evaluation.addActual(key, step.startMs(),
                        actuals.get(route).read(engine.resampler(), step).observed());
            }
            keep(run, stepped);
        }
    }

    /** Keeps a step's records and publishes its forecast, as the stream does. */
    private void keep(Run run, ForecastEngine.Stepped stepped) {
        records.putAll(stepped.keys(), stepped.records());
        stepped.forecasts().forEach(run::publish);
    }

    /**
     * Keeps a correction's replayed records and publishes its forecasts, as the stream does; a revised bucket's
     * aggregates become its actuals.
     */
    private void apply(Run run, int route, ForecastEngine.Corrected corrected) {
        ForecastEngine engine = engines.get(route);
        records.put(corrected.key(), corrected.record());
        LateEvents.Correction correction = corrected.correction();
        for (int i = 0; i < correction.forecasts().size(); i++) {
            Forecast forecast = correction.forecasts().get(i);
            if (!correction.buckets().isEmpty()) {
                run.evaluation.addActual(corrected.key(), forecast.eventTimeMs(),
                        actuals.get(route).read(engine.resampler(), correction.buckets().get(i)).observed());
            }
            run.publish(forecast);
        }
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
