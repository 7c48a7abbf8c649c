package io.carrycast.topology;

import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.accuracy.Scorer;
import io.carrycast.accuracy.WaitingForecasts;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.forecast.Forecast;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Scores a node's forecasts as their actuals arrive ({@link Scorer}). Per stepped event: score what waited for
 * the event's time, then keep the event's own forecast. Each key's waiting forecasts are kept by the processor
 * in the key's state record ({@link io.carrycast.state.StateRecord}), so they are written and restored with its
 * state. Score records, when a scores topic is set, are forwarded with the {@link #SCORE_HEADER} header, which
 * the topology routes by.
 */
final class LiveScoring {

    /** Header that marks a forwarded record as a score record (its value: {@link ScoreJson}). */
    static final String SCORE_HEADER = "carrycast-score";

    private final Scorer.Sink sink;

    /** @param forwardTo where score records are forwarded, or null when no scores topic is set */
    LiveScoring(Scorer.Sink tallies, ProcessorContext<String, byte[]> forwardTo) {
        this.sink = new Scorer.Sink() {
            @Override
            public void scored(Score score) {
                tallies.scored(score);
                if (forwardTo != null) {
                    Record<String, byte[]> record = new Record<>(score.key(), ScoreJson.write(score),
                            score.targetTimeMs(), new RecordHeaders().add(SCORE_HEADER, new byte[] {1}));
                    forwardTo.forward(record);
                }
            }

            @Override
            public void skipped(String modelName, String modelVersion, String target, int step, Scorer.Skip why) {
                tallies.skipped(modelName, modelVersion, target, step, why);
            }
        };
    }

    /** The target fields of a card, in its order. */
    static List<String> targetFields(ModelCard card) {
        return card.targets().stream().map(TargetSpec::field).toList();
    }

    /**
     * After one event of {@code key} was stepped: scores what waited for its time and keeps its forecast.
     *
     * @param waiting  the key's waiting forecasts before this event (their encoding), or null for none
     * @param actuals  the event's target values, or null when they are not known (an event accepted before a
     *                 restart and stepped after it): then nothing is scored or kept for this event
     * @param forecast the event's forecast, or null when none was made
     * @param targetTimes when the waiting forecasts' steps are due (a resampling card's buckets, else the cadence)
     * @param targets  the card's target fields ({@link #targetFields})
     * @return the key's waiting forecasts after this event (their encoding), or null for none
     */
    byte[] afterStep(String key, byte[] waiting, long eventTimeMs, Scorer.Actuals actuals, Forecast forecast,
                     ModelCard card, Scorer.TargetTimes targetTimes, List<String> targets) {
        if (actuals == null) {
            return waiting;
        }
        WaitingForecasts before = waiting == null ? WaitingForecasts.NONE : WaitingForecasts.decode(waiting);
        WaitingForecasts after = Scorer.score(key, before, eventTimeMs, actuals, sink, targetTimes);
        if (forecast != null) {
            after = after.plus(Scorer.waitingFor(forecast, card.cadence().toMillis(), targets, actuals));
        }
        if (after == before) {
            return waiting;
        }
        return after.isEmpty() ? null : after.encode();
    }
}
