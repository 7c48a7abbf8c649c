package io.carrycast.forecast;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.CarrycastException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The forecast's JSON form, the one place it is written and read:
 *
 * <pre>{@code
 * {"key":"Seattle","event_time":"2015-03-01T00:00:00Z",
 *  "model":{"name":"weather-lstm","version":"1"},"mode":"stateful","steps_seen":1156,
 *  "state_note":"reprimed_after_gap",   (only when the state was reset or rebuilt before this step)
 *  "forecast":[{"step":1,"target_time":"2015-03-02T00:00:00Z","values":{"temp_max":9.84}}]}
 * }</pre>
 */
public final class ForecastJson {

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ForecastJson() {
    }

    public static byte[] write(Forecast forecast) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = FACTORY.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("key", forecast.key());
            json.writeStringField("event_time", Instant.ofEpochMilli(forecast.eventTimeMs()).toString());
            json.writeObjectFieldStart("model");
            json.writeStringField("name", forecast.modelName());
            json.writeStringField("version", forecast.modelVersion());
            json.writeEndObject();
            json.writeStringField("mode", forecast.mode());
            json.writeNumberField("steps_seen", forecast.stepsSeen());
            if (forecast.stateNote() != null) {
                json.writeStringField("state_note", forecast.stateNote());
            }
            json.writeArrayFieldStart("forecast");
            for (Forecast.Point point : forecast.points()) {
                json.writeStartObject();
                json.writeNumberField("step", point.step());
                json.writeStringField("target_time", Instant.ofEpochMilli(point.targetTimeMs()).toString());
                json.writeObjectFieldStart("values");
                for (Map.Entry<String, Double> value : point.values().entrySet()) {
                    json.writeNumberField(value.getKey(), value.getValue());
                }
                json.writeEndObject();
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory cannot fail", e);
        }
        return out.toByteArray();
    }

    public static Forecast read(byte[] bytes) {
        try {
            JsonNode root = MAPPER.readTree(bytes);
            List<Forecast.Point> points = new ArrayList<>();
            for (JsonNode point : root.get("forecast")) {
                Map<String, Double> values = new LinkedHashMap<>();
                for (Iterator<Map.Entry<String, JsonNode>> it = point.get("values").fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> value = it.next();
                    values.put(value.getKey(), value.getValue().doubleValue());
                }
                points.add(new Forecast.Point(point.get("step").intValue(),
                        Instant.parse(point.get("target_time").textValue()).toEpochMilli(), values));
            }
            return new Forecast(root.get("key").textValue(),
                    Instant.parse(root.get("event_time").textValue()).toEpochMilli(),
                    root.get("model").get("name").textValue(), root.get("model").get("version").textValue(),
                    root.get("mode").textValue(), root.get("steps_seen").longValue(),
                    root.hasNonNull("state_note") ? root.get("state_note").textValue() : null, points);
        } catch (IOException | RuntimeException e) {
            throw new CarrycastException("not a carrycast forecast: " + new String(bytes,
                    java.nio.charset.StandardCharsets.UTF_8), e);
        }
    }
}
