package io.carrycast.forecast;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.carrycast.forecast.InvalidEventException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads raw event values: JSON objects carrying numeric fields and, optionally, a timestamp field and a
 * key field. Without a timestamp field the record's timestamp is the event time.
 *
 * <p>Two ways in, one set of rules. {@link #read} takes an event's bytes straight to the values of the
 * fields it names ({@link Fields}) with Jackson's streaming parser, building no tree: the stream processor's
 * path. {@link #parse} builds the whole tree: the path of the backtest, which reads rows of a file. Both
 * judge a field's value with the same rule ({@link #eventTime(JsonNode, long)}, {@link #key(JsonNode, String)},
 * {@link FeatureExtractor#finiteNumber(JsonNode, String)}), see the last value of a field that appears twice, and
 * ignore fields they do not name, nested objects included. An event {@link #read} cannot take is parsed
 * again as a tree to be refused, so both refuse it with the same reason and message.
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

    /**
     * The fields a {@link #read} looks for: the timestamp field (when configured), {@code featureFields} and
     * {@code keyField} (or null). Feature field i of the list is {@link Values} slot i.
     */
    public Fields fields(List<String> featureFields, String keyField) {
        return new Fields(featureFields, timestampField, keyField);
    }

    /**
     * The values of {@code fields} in one event, read with the streaming parser.
     *
     * @throws InvalidEventException as {@link #parse} would: empty, too large, not JSON, not an object
     */
    public Values read(byte[] value, Fields fields) {
        requireReadableSize(value);
        Values values = new Values(fields);
        try (JsonParser parser = JSON.createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw refusal(value);
            }
            for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
                if (token != JsonToken.FIELD_NAME) {
                    throw refusal(value);
                }
                Integer slot = fields.slots.get(parser.currentName());
                JsonToken valueToken = parser.nextToken();
                if (slot == null) {
                    parser.skipChildren();
                } else {
                    values.take(slot, valueToken, parser);
                }
            }
        } catch (IOException unreadable) {
            throw refusal(value);
        }
        return values;
    }

    /** The refusal the tree parser gives an event the streaming one cannot take, so both say the same. */
    private InvalidEventException refusal(byte[] value) {
        try {
            parse(value);
        } catch (InvalidEventException refused) {
            return refused;
        }
        throw new IllegalStateException("the streaming parser refused an event the tree parser accepts");
    }

    /** The whole event as a tree. */
    public ObjectNode parse(byte[] value) {
        requireReadableSize(value);
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

    private void requireReadableSize(byte[] value) {
        if (value == null || value.length == 0) {
            throw new InvalidEventException(Reason.NOT_JSON, "event value is empty");
        }
        if (value.length > maxEventBytes) {
            throw new InvalidEventException(Reason.TOO_LARGE, "event value has " + value.length
                    + " bytes, over the limit of " + maxEventBytes + " (carrycast.event.max.bytes)");
        }
    }

    /** The event time in epoch milliseconds. */
    public long eventTime(ObjectNode event, long recordTimestamp) {
        return timestampField == null ? recordTimestamp : eventTime(event.get(timestampField), recordTimestamp);
    }

    /** The event time in epoch milliseconds. */
    public long eventTime(Values event, long recordTimestamp) {
        return timestampField == null ? recordTimestamp : eventTime(event.node(event.fields.timestampSlot), recordTimestamp);
    }

    /** The rule for the timestamp field's value (null when absent). */
    private long eventTime(JsonNode value, long recordTimestamp) {
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
        return key(event.get(keyField), keyField);
    }

    /** The series key from the key field named in the {@link Fields} the event was read for. */
    public static String keyField(Values event) {
        return key(event.node(event.fields.keySlot), event.fields.keyField);
    }

    /** The rule for the key field's value (null when absent). */
    private static String key(JsonNode value, String keyField) {
        if (value == null || value.isNull() || value.isContainerNode() || value.asText().isEmpty()) {
            throw new InvalidEventException(Reason.NO_KEY, "event has no usable key field '" + keyField
                    + "', found " + (value == null ? "nothing" : value.toString()));
        }
        return value.asText();
    }

    /** The names a {@link #read} looks for, each with its slot in {@link Values}. Built once, used per event. */
    public static final class Fields {
        private final Map<String, Integer> slots = new HashMap<>();
        private final List<String> names = new ArrayList<>();
        /** Slots read as a double when the value is a finite number: feature fields that are nothing else. */
        private final boolean[] plainNumber;
        private final int timestampSlot;
        private final int keySlot;
        private final String keyField;

        private Fields(List<String> featureFields, String timestampField, String keyField) {
            featureFields.forEach(this::slotOf);
            int features = names.size();
            if (features != featureFields.size()) {
                throw new IllegalArgumentException("feature fields must be distinct, found " + featureFields);
            }
            this.timestampSlot = timestampField == null ? -1 : slotOf(timestampField);
            this.keySlot = keyField == null ? -1 : slotOf(keyField);
            this.keyField = keyField;
            this.plainNumber = new boolean[names.size()];
            for (int slot = 0; slot < features; slot++) {
                plainNumber[slot] = slot != timestampSlot && slot != keySlot;
            }
        }

        private int slotOf(String name) {
            return slots.computeIfAbsent(name, n -> {
                names.add(n);
                return names.size() - 1;
            });
        }
    }

    /**
     * The values one event holds for its {@link Fields}: for each slot, nothing (the field is absent), a finite
     * number, or the value as the tree parser would have built it, for the field rules to judge.
     */
    public static final class Values {
        private final Fields fields;
        private final double[] numbers;
        private final JsonNode[] nodes;
        private final boolean[] isNumber;

        private Values(Fields fields) {
            this.fields = fields;
            this.numbers = new double[fields.names.size()];
            this.nodes = new JsonNode[fields.names.size()];
            this.isNumber = new boolean[fields.names.size()];
        }

        /** Whether slot {@code slot} holds a finite number, which {@link #number} returns. */
        public boolean isNumber(int slot) {
            return isNumber[slot];
        }

        public double number(int slot) {
            return numbers[slot];
        }

        /** The slot's value as a tree node, or null when the event lacks the field. */
        public JsonNode node(int slot) {
            return isNumber[slot] ? DoubleNode.valueOf(numbers[slot]) : nodes[slot];
        }

        /** Keeps the value at the parser; a later value of the same field replaces it, as in a tree. */
        private void take(int slot, JsonToken token, JsonParser parser) throws IOException {
            if (fields.plainNumber[slot] && token.isNumeric()) {
                double number = parser.getDoubleValue();
                if (Double.isFinite(number)) {
                    numbers[slot] = number;
                    isNumber[slot] = true;
                    nodes[slot] = null;
                    return;
                }
            }
            isNumber[slot] = false;
            nodes[slot] = treeNode(token, parser);
        }

        /** The node {@link ObjectMapper#readTree} builds for the value at the parser. */
        private static JsonNode treeNode(JsonToken token, JsonParser parser) throws IOException {
            return switch (token) {
                case VALUE_STRING -> TextNode.valueOf(parser.getText());
                case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
                    case INT -> IntNode.valueOf(parser.getIntValue());
                    case LONG -> LongNode.valueOf(parser.getLongValue());
                    default -> BigIntegerNode.valueOf(parser.getBigIntegerValue());
                };
                case VALUE_NUMBER_FLOAT -> DoubleNode.valueOf(parser.getDoubleValue());
                case VALUE_TRUE, VALUE_FALSE -> BooleanNode.valueOf(token == JsonToken.VALUE_TRUE);
                case VALUE_NULL -> NullNode.getInstance();
                default -> JSON.readTree(parser);
            };
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder("{");
            for (int slot = 0; slot < nodes.length; slot++) {
                text.append(slot == 0 ? "" : ", ").append(fields.names.get(slot)).append('=').append(node(slot));
            }
            return text.append('}').toString();
        }
    }
}
