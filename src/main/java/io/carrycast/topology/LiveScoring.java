package io.carrycast.topology;

import io.carrycast.accuracy.AccuracyBoard;
import io.carrycast.accuracy.AnomalyJson;
import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.accuracy.Scorer;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Where a node's scores go ({@link Scorer}): tallied, and, when a scores topic is set, forwarded with the
 * {@link #SCORE_HEADER} header, which the topology routes by. The engine scores each stepped event against its
 * key's waiting forecasts, kept in the key's state record ({@link io.carrycast.state.StateRecord}), so they are
 * written and restored with its state.
 */
final class LiveScoring {

    /** Header that marks a forwarded record as a score record (its value: {@link ScoreJson}). */
    static final String SCORE_HEADER = "carrycast-score";

    private LiveScoring() {
    }

    /** Header that marks a forwarded record as an anomaly record (its value: {@link AnomalyJson}). */
    static final String ANOMALY_HEADER = "carrycast-anomaly";

    /**
     * What a node forwards beside its forecasts.
     *
     * @param scores       whether score records are forwarded (a scores topic is set)
     * @param anomalyLevel the interval level outside which an actual is an anomaly; 0: a quantile model's highest;
     *                     NaN: anomalies are not
     *                     looked for
     * @param anomalies    whether anomaly records are forwarded (an anomaly topic is set)
     */
    record Forwards(boolean scores, double anomalyLevel, boolean anomalies) {
        static final Forwards NONE = new Forwards(false, Double.NaN, false);
    }

    /** The level a score's anomaly is judged at: a quantile model's intervals are all there, ascending. */
    private static double anomalyLevel(Forwards forwards, Score score) {
        List<Score.Range> ranges = score.ranges();
        return forwards.anomalyLevel() == 0 && score.quantiles() && !ranges.isEmpty()
                ? ranges.get(ranges.size() - 1).level() : forwards.anomalyLevel();
    }

    static Scorer.Sink sink(AccuracyBoard tallies, Forwards forwards, ProcessorContext<String, byte[]> context) {
        return new Scorer.Sink() {
            @Override
            public void scored(Score score) {
                tallies.scored(score);
                if (forwards.scores()) {
                    context.forward(new Record<>(score.key(), ScoreJson.write(score), score.targetTimeMs(),
                            new RecordHeaders().add(SCORE_HEADER, new byte[] {1})));
                }
                for (Score.Range range : score.ranges()) {
                    if (range.level() == anomalyLevel(forwards, score) && !range.covers(score.actual())) {
                        tallies.anomaly(score, range);
                        if (forwards.anomalies()) {
                            context.forward(new Record<>(score.key(), AnomalyJson.write(score, range),
                                    score.targetTimeMs(), new RecordHeaders().add(ANOMALY_HEADER, new byte[] {1})));
                        }
                    }
                }
            }

            @Override
            public void skipped(String modelName, String modelVersion, String target, int step, Scorer.Skip why) {
                tallies.skipped(modelName, modelVersion, target, step, why);
            }
        };
    }
}
