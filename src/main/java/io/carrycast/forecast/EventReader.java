package io.carrycast.forecast;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.InvalidEventException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;

/**
 * Reads raw event values: JSON objects carrying numeric fields and, optionally, a timestamp field and a
 * key field. Without a timestamp field the record's timestamp is the event time.
 */
public final class EventReader {

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            // A bare NaN or Infinity then reads as a number and is refused as not finite, which says more
            // than "not JSON".
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build());

    private final String timestampField;
    private final TimestampFormat timestampFormat;
    private final int maxEventBytes;

    /**
     * @param timestampField the field holding event time, or null/empty to use the record timestamp
     * @param maxEventBytes  events larger than this are refused before parsing
     */
    public EventReader(String timestampField, TimestampFormat timestampFormat, int maxEventBytes) {
        this.timestampField = timestampField == null || timestampField.isEmpty() ? null : timestampField;
        this.timestampFormat = timestampFormat;
        this.maxEventBytes = maxEventBytes;
    }

    /**
     * Refuses a record whose key and value together are over the limit, before anything is stored or sent
     * under its key: a key of a megabyte would otherwise reach the state changelog and the forecast topic,
     * where the producer refuses it.
     */
    public void checkSize(String key, byte[] value) {
        int valueBytes = value == null ? 0 : value.length;
        // UTF-8 takes at most 3 bytes per Java char, so most keys need no encoding to be checked.
        if ((key == null ? 0L : 3L * key.length()) + valueBytes <= maxEventBytes) {
            return;
        }
        int keyBytes = key == null ? 0 : key.getBytes(StandardCharsets.UTF_8).length;
        if ((long) keyBytes + valueBytes > maxEventBytes) {
            throw new InvalidEventException(Reason.TOO_LARGE, "event has " + ((long) keyBytes + valueBytes)
                    + " bytes (key " + keyBytes + ", value " + valueBytes + "), over the limit of " + maxEventBytes
                    + " (carrycast.event.max.bytes)");
        }
    }

    public ObjectNode parse(byte[] value) {
        if (value == null || value.length == 0) {
            throw new InvalidEventException(Reason.NOT_JSON, "event value is empty");
        }
        if (value.length > maxEventBytes) {
            throw new InvalidEventException(Reason.TOO_LARGE, "event value has " + value.length
                    + " bytes, over the limit of " + maxEventBytes + " (carrycast.event.max.bytes)");
        }
        JsonNode node;
        try {
            node = JSON.readTree(value);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException(Reason.NOT_JSON, "event value is not JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidEventException(Reason.NOT_JSON, "event value cannot be read: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new InvalidEventException(Reason.NOT_OBJECT, "event value must be a JSON object, found "
                    + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        return (ObjectNode) node;
    }

    /** The event time in epoch milliseconds. */
    public long eventTime(ObjectNode event, long recordTimestamp) {
        if (timestampField == null) {
            return recordTimestamp;
        }
        JsonNode value = event.get(timestampField);
        if (value == null || value.isNull()) {
            throw new InvalidEventException(Reason.BAD_TIMESTAMP, "event has no timestamp field '"
                    + timestampField + "'");
        }
        String text = value.isTextual() ? value.textValue() : value.asText();
        try {
            return timestampFormat.parse(text);
        } catch (DateTimeException | NumberFormatException | ArithmeticException e) {
            throw new InvalidEventException(Reason.BAD_TIMESTAMP, "event field '" + timestampField + "' value "
                    + value + " is not a timestamp in format " + timestampFormat);
        }
    }

    /** The series key from a field of the event (for inputs whose record key is not the series id). */
    public static String keyField(ObjectNode event, String keyField) {
        JsonNode value = event.get(keyField);
        if (value == null || value.isNull() || value.isContainerNode() || value.asText().isEmpty()) {
            throw new InvalidEventException(Reason.NO_KEY, "event has no usable key field '" + keyField
                    + "', found " + (value == null ? "nothing" : value.toString()));
        }
        return value.asText();
    }
}
