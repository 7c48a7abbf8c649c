package io.carrycast.forecast;

import com.fasterxml.jackson.core.io.NumberOutput;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.CarrycastException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
 *  "revision":1,                        (only for a corrected forecast: see {@link Forecast#revision()})
 *  "state_note":"reprimed_after_gap",   (only when the state was reset or rebuilt before this step)
 *  "bucket":{"events":4,"filled_before":0},   (only for a card that resamples)
 *  "forecast":[{"step":1,"target_time":"2015-03-02T00:00:00Z","values":{"temp_max":9.84}},
 *              {"step":2,"target_time":"2015-03-03T00:00:00Z","rollout":true,"values":{"temp_max":8.9}}]}
 * }</pre>
 * With intervals on ({@code carrycast.intervals.levels}), each point also carries, after its values, one
 * interval per level: {@code "intervals":[{"level":0.8,"lower":{"temp_max":7.9},"upper":{"temp_max":11.8}},
 * {"level":0.95,"lower":{"temp_max":null},"upper":{"temp_max":null}}]}, a bound null while the key has too few
 * scored errors of that step for that level.
 * A point says {@code "rollout":true} when it lies past the model's horizon, reached by feeding the model
 * its own forecasts; points of the event's own model call carry no such field. A forecast of a resampled
 * cadence bucket (event time: the bucket's start) says how many events the bucket held and how many empty
 * buckets were filled just before it.
 */
public final class ForecastJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ForecastJson() {
    }

    /**
     * Writes the forecast's JSON. Written by hand rather than through Jackson's generator: it runs once per
     * event, and the generator and {@link Instant#toString()} took a fifth of the stream thread's time. The
     * bytes equal what Jackson's generator writes, except that characters beyond U+FFFF stay UTF-8 where
     * Jackson escapes them as surrogate pairs (ForecastJsonTest compares both).
     */
    public static byte[] write(Forecast forecast) {
        Out out = new Out();
        out.ascii("{\"key\":").string(forecast.key());
        out.ascii(",\"event_time\":").instant(forecast.eventTimeMs());
        out.ascii(",\"model\":{\"name\":").string(forecast.modelName());
        out.ascii(",\"version\":").string(forecast.modelVersion());
        out.ascii("},\"mode\":").string(forecast.mode());
        out.ascii(",\"steps_seen\":").number(forecast.stepsSeen());
        if (forecast.revision() > 0) {
            out.ascii(",\"revision\":").number(forecast.revision());
        }
        if (forecast.stateNote() != null) {
            out.ascii(",\"state_note\":").string(forecast.stateNote());
        }
        if (forecast.bucket() != null) {
            out.ascii(",\"bucket\":{\"events\":").number(forecast.bucket().events());
            out.ascii(",\"filled_before\":").number(forecast.bucket().filledBefore()).ascii("}");
        }
        out.ascii(",\"forecast\":[");
        boolean firstPoint = true;
        for (Forecast.Point point : forecast.points()) {
            out.ascii(firstPoint ? "{\"step\":" : ",{\"step\":").number(point.step());
            out.ascii(",\"target_time\":").instant(point.targetTimeMs());
            if (point.rollout()) {
                out.ascii(",\"rollout\":true");
            }
            out.ascii(",\"values\":");
            values(out, point.values());
            if (!point.intervals().isEmpty()) {
                out.ascii(",\"intervals\":[");
                for (int i = 0; i < point.intervals().size(); i++) {
                    Forecast.Interval interval = point.intervals().get(i);
                    out.ascii(i == 0 ? "{\"level\":" : ",{\"level\":").number(interval.level());
                    out.ascii(",\"lower\":");
                    values(out, interval.lower());
                    out.ascii(",\"upper\":");
                    values(out, interval.upper());
                    out.ascii("}");
                }
                out.ascii("]");
            }
            out.ascii("}");
            firstPoint = false;
        }
        return out.ascii("]}").toByteArray();
    }

    /** A JSON object of target values; a null value (no bound yet) as null. */
    private static void values(Out out, Map<String, Double> values) {
        out.ascii("{");
        boolean first = true;
        for (Map.Entry<String, Double> value : values.entrySet()) {
            if (!first) {
                out.ascii(",");
            }
            out.string(value.getKey()).ascii(":");
            if (value.getValue() == null) {
                out.ascii("null");
            } else {
                out.number(value.getValue());
            }
            first = false;
        }
        out.ascii("}");
    }

    /** A growing byte buffer with the few JSON writes a forecast needs. */
    private static final class Out {
        private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
        private byte[] bytes = new byte[256];
        private int size;

        Out ascii(String text) {
            ensure(text.length());
            for (int i = 0; i < text.length(); i++) {
                bytes[size++] = (byte) text.charAt(i);
            }
            return this;
        }

        /**
         * A JSON string, escaped as Jackson escapes it: short escapes where JSON has them, else \\u00XX. ASCII is
         * written from the characters, without the copy {@link String#getBytes} makes; the rest from its UTF-8.
         */
        Out string(String text) {
            ensure(text.length() * 6 + 2);
            bytes[size++] = '"';
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c >= 0x80) {
                    byte[] utf8 = text.substring(i).getBytes(StandardCharsets.UTF_8);
                    ensure(utf8.length * 6 + 1);
                    for (byte b : utf8) {
                        escaped(b);
                    }
                    break;
                }
                escaped((byte) c);
            }
            bytes[size++] = '"';
            return this;
        }

        /** One byte of a JSON string: printable ASCII and parts of multi-byte UTF-8 sequences as they are. */
        private void escaped(byte b) {
            if (b >= 0x20 && b != '"' && b != '\\' || b < 0) {
                bytes[size++] = b;
                return;
            }
            bytes[size++] = '\\';
            switch (b) {
                case '"', '\\' -> bytes[size++] = b;
                case '\b' -> bytes[size++] = 'b';
                case '\t' -> bytes[size++] = 't';
                case '\n' -> bytes[size++] = 'n';
                case '\f' -> bytes[size++] = 'f';
                case '\r' -> bytes[size++] = 'r';
                default -> {
                    bytes[size++] = 'u';
                    bytes[size++] = '0';
                    bytes[size++] = '0';
                    bytes[size++] = HEX[b >> 4];
                    bytes[size++] = HEX[b & 0xF];
                }
            }
        }

        Out number(long value) {
            return ascii(Long.toString(value));
        }

        /** Shortest round-trip digits; NaN and infinities as strings, as Jackson writes them by default. */
        Out number(double value) {
            String digits = NumberOutput.toString(value, true);
            return Double.isFinite(value) ? ascii(digits) : string(digits);
        }

        /** ISO-8601 in UTC as {@link Instant#toString()} writes a millisecond instant. */
        Out instant(long epochMs) {
            long epochSecond = Math.floorDiv(epochMs, 1000L);
            int millis = (int) Math.floorMod(epochMs, 1000L);
            long epochDay = Math.floorDiv(epochSecond, 86_400L);
            int secondOfDay = (int) Math.floorMod(epochSecond, 86_400L);
            // Civil date from days since 1970-01-01 (H. Hinnant's algorithm), years 0000-9999 only:
            // Instant.toString() writes other years with a sign and more digits.
            long z = epochDay + 719_468L;
            long era = Math.floorDiv(z, 146_097L);
            long dayOfEra = z - era * 146_097L;
            long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
            long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
            long shiftedMonth = (5 * dayOfYear + 2) / 153;
            int day = (int) (dayOfYear - (153 * shiftedMonth + 2) / 5 + 1);
            int month = (int) (shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9);
            long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
            if (year < 0 || year > 9999) {
                return string(Instant.ofEpochMilli(epochMs).toString());
            }
            ensure(26);
            bytes[size++] = '"';
            digits((int) year, 4);
            bytes[size++] = '-';
            digits(month, 2);
            bytes[size++] = '-';
            digits(day, 2);
            bytes[size++] = 'T';
            digits(secondOfDay / 3600, 2);
            bytes[size++] = ':';
            digits(secondOfDay / 60 % 60, 2);
            bytes[size++] = ':';
            digits(secondOfDay % 60, 2);
            if (millis != 0) {
                bytes[size++] = '.';
                digits(millis, 3);
            }
            bytes[size++] = 'Z';
            bytes[size++] = '"';
            return this;
        }

        private void digits(int value, int width) {
            for (int i = size + width - 1; i >= size; i--) {
                bytes[i] = (byte) ('0' + value % 10);
                value /= 10;
            }
            size += width;
        }

        private void ensure(int more) {
            if (size + more > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(bytes, size);
        }
    }

    private static Map<String, Double> values(JsonNode object) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> value = it.next();
            values.put(value.getKey(), value.getValue().isNull() ? null : value.getValue().doubleValue());
        }
        return values;
    }

    public static Forecast read(byte[] bytes) {
        try {
            JsonNode root = MAPPER.readTree(bytes);
            List<Forecast.Point> points = new ArrayList<>();
            for (JsonNode point : root.get("forecast")) {
                List<Forecast.Interval> intervals = new ArrayList<>();
                for (JsonNode interval : point.path("intervals")) {
                    intervals.add(new Forecast.Interval(interval.get("level").doubleValue(),
                            values(interval.get("lower")), values(interval.get("upper"))));
                }
                points.add(new Forecast.Point(point.get("step").intValue(),
                        Instant.parse(point.get("target_time").textValue()).toEpochMilli(),
                        values(point.get("values")), point.path("rollout").booleanValue(), intervals));
            }
            return new Forecast(root.get("key").textValue(),
                    Instant.parse(root.get("event_time").textValue()).toEpochMilli(),
                    root.get("model").get("name").textValue(), root.get("model").get("version").textValue(),
                    root.get("mode").textValue(), root.get("steps_seen").longValue(),
                    root.hasNonNull("state_note") ? root.get("state_note").textValue() : null, points,
                    root.path("revision").intValue(),
                    root.hasNonNull("bucket") ? new Forecast.Bucket(root.get("bucket").get("events").intValue(),
                            root.get("bucket").get("filled_before").intValue()) : null);
        } catch (IOException | RuntimeException e) {
            throw new CarrycastException("not a carrycast forecast: " + new String(bytes, StandardCharsets.UTF_8), e);
        }
    }
}
