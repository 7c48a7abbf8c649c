package io.carrycast.accuracy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.CarrycastException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A score record's JSON form, one per scored forecast value on the scores topic, keyed by series id:
 *
 * <pre>{@code
 * {"key":"Seattle","made_at":"2015-03-01T00:00:00Z","target_time":"2015-03-02T00:00:00Z","step":1,
 *  "target":"temp_max","forecast":9.84,"actual":10.6,"error":-0.76,"persistence":8.9,
 *  "persistence_error":-1.7,"model":{"name":"weather-lstm","version":"1"}}
 * }</pre>
 * {@code error} is forecast minus actual; {@code persistence_error} is persistence (the target's value at
 * {@code made_at}) minus actual. A value published with intervals adds, per level it had one at,
 * {@code "intervals":[{"level":0.8,"lower":7.9,"upper":11.8,"covered":true,"winkler":3.9}]}; a quantile
 * model's value (its median, its intervals the model's quantile pairs) also adds {@code "pinball":0.61}, the
 * pinball loss averaged over the model's quantiles ({@link Score#pinball()}).
 */
public final class ScoreJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ScoreJson() {
    }

    public static byte[] write(Score score) {
        ObjectNode json = JSON.createObjectNode().put("key", score.key())
                .put("made_at", Instant.ofEpochMilli(score.madeAtMs()).toString())
                .put("target_time", Instant.ofEpochMilli(score.targetTimeMs()).toString())
                .put("step", score.step()).put("target", score.target()).put("forecast", score.forecast())
                .put("actual", score.actual()).put("error", score.error()).put("persistence", score.persistence())
                .put("persistence_error", score.persistenceError());
        json.putObject("model").put("name", score.modelName()).put("version", score.modelVersion());
        if (!score.ranges().isEmpty()) {
            ArrayNode intervals = json.putArray("intervals");
            for (Score.Range range : score.ranges()) {
                intervals.addObject().put("level", range.level()).put("lower", range.lower())
                        .put("upper", range.upper()).put("covered", range.covers(score.actual()))
                        .put("winkler", range.winkler(score.actual()));
            }
        }
        if (score.quantiles()) {
            json.put("pinball", score.pinball());
        }
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static List<Score.Range> ranges(JsonNode intervals) {
        List<Score.Range> ranges = new ArrayList<>();
        for (JsonNode interval : intervals) {
            ranges.add(new Score.Range(interval.get("level").doubleValue(), interval.get("lower").doubleValue(),
                    interval.get("upper").doubleValue()));
        }
        return ranges;
    }

    public static Score read(byte[] bytes) {
        try {
            JsonNode json = JSON.readTree(bytes);
            return new Score(json.get("key").textValue(), Instant.parse(json.get("made_at").textValue()).toEpochMilli(),
                    Instant.parse(json.get("target_time").textValue()).toEpochMilli(), json.get("step").intValue(),
                    json.get("target").textValue(), json.get("forecast").doubleValue(),
                    json.get("actual").doubleValue(), json.get("persistence").doubleValue(),
                    json.get("model").get("name").textValue(), json.get("model").get("version").textValue(),
                    ranges(json.path("intervals")), json.has("pinball"));
        } catch (IOException | RuntimeException e) {
            throw new CarrycastException("not a carrycast score: " + new String(bytes, StandardCharsets.UTF_8), e);
        }
    }
}
