package io.carrycast.topology;

import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.accuracy.Scorer;
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

    /** @param forwardTo where score records are forwarded, or null when no scores topic is set */
    static Scorer.Sink sink(Scorer.Sink tallies, ProcessorContext<String, byte[]> forwardTo) {
        return new Scorer.Sink() {
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
}
