package io.carrycast.accuracy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * An anomaly record's JSON form, one per actual that arrived outside the interval its forecast was published
 * with at the anomaly level, keyed by series id and stamped with the actual's time:
 *
 * <pre>{@code
 * {"key":"Seattle","time":"2015-03-02T00:00:00Z","target":"temp_max","actual":16.1,"forecast":9.84,
 *  "step":1,"made_at":"2015-03-01T00:00:00Z","level":0.95,"lower":6.2,"upper":13.48,"outside":0.72,
 *  "model":{"name":"weather-lstm","version":"1"}}
 * }</pre>
 * {@code outside} is how far beyond the nearer bound the actual lies, in units of the interval's half-width
 * (positive above the upper bound, negative below the lower one).
 */
public final class AnomalyJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private AnomalyJson() {
    }

    /** The signed distance outside, in half-widths: above the upper bound positive, below the lower negative. */
    public static double outside(Score.Range range, double actual) {
        double beyond = range.outside(actual);
        return actual < range.lower() ? -beyond : beyond;
    }

    public static byte[] write(Score score, Score.Range range) {
        ObjectNode json = JSON.createObjectNode().put("key", score.key())
                .put("time", Instant.ofEpochMilli(score.targetTimeMs()).toString()).put("target", score.target())
                .put("actual", score.actual()).put("forecast", score.forecast()).put("step", score.step())
                .put("made_at", Instant.ofEpochMilli(score.madeAtMs()).toString()).put("level", range.level())
                .put("lower", range.lower()).put("upper", range.upper())
                .put("outside", outside(range, score.actual()));
        json.putObject("model").put("name", score.modelName()).put("version", score.modelVersion());
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }
}
