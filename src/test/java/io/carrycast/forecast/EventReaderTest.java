package io.carrycast.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.InvalidEventException.Reason;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class EventReaderTest {

    private final EventReader reader = new EventReader("ts", TimestampFormat.of("iso"), 200);

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "iso|2015-03-01|1425168000000",
            "iso|2015-03-01T06:30:00Z|1425191400000",
            "iso|2015-03-01T07:30:00+01:00|1425191400000",
            "iso|2015-03-01T06:30:00|1425191400000",
            "epoch_millis|1425191400000|1425191400000",
            "epoch_seconds|1425191400.5|1425191400500",
            "dd.MM.yyyy HH:mm|01.03.2015 06:30|1425191400000"})
    void shouldReadTimestampsInEveryFormat(String format, String text, long expected) {
        assertEquals(expected, TimestampFormat.of(format).parse(text));
    }

    @Test
    void shouldTakeTheRecordTimestampWithoutATimestampField() {
        EventReader withoutField = new EventReader(null, TimestampFormat.of("iso"), 200);
        assertEquals(99L, withoutField.eventTime(withoutField.parse(bytes("{\"a\":1}")), 99L));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "not json|NOT_JSON",
            "[1,2]|NOT_OBJECT",
            "{\"ts\":\"yesterday\"}|BAD_TIMESTAMP",
            "{\"other\":1}|BAD_TIMESTAMP"})
    void shouldRefuseUnusableEventsWithTheirReason(String value, Reason reason) {
        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> reader.eventTime(reader.parse(bytes(value)), 0L));
        assertEquals(reason, e.reason());
    }

    @Test
    void shouldRefuseEventsOverTheSizeLimit() {
        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> reader.parse(bytes("{\"pad\":\"" + "x".repeat(300) + "\"}")));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertEquals("event value has 310 bytes, over the limit of 200 (carrycast.event.max.bytes)", e.getMessage());
    }

    @Test
    void shouldReadNumbersWrittenAsStringsAndRefuseNonFiniteOnes() {
        ObjectNode event = reader.parse(bytes("{\"a\":\" 2.5\",\"b\":\"NaN\",\"c\":true}"));
        assertEquals(2.5, FeatureExtractor.number(event, "a"));
        assertEquals(Reason.NOT_FINITE, assertThrows(InvalidEventException.class,
                () -> FeatureExtractor.number(event, "b")).reason());
        assertEquals(Reason.NOT_A_NUMBER, assertThrows(InvalidEventException.class,
                () -> FeatureExtractor.number(event, "c")).reason());
        assertEquals(Reason.MISSING_FEATURE, assertThrows(InvalidEventException.class,
                () -> FeatureExtractor.number(event, "d")).reason());
    }

    @Test
    void shouldCountTheKeysUtf8BytesWithTheValueAgainstTheSizeLimit() {
        byte[] value = bytes("{\"a\":1}");
        reader.checkSize("k".repeat(200 - value.length), value);
        reader.checkSize(null, new byte[200]);

        InvalidEventException tooLarge = assertThrows(InvalidEventException.class,
                () -> reader.checkSize("\u00e9".repeat(97), value));
        assertEquals(Reason.TOO_LARGE, tooLarge.reason());
        assertEquals("event has 201 bytes (key 194, value 7), over the limit of 200 (carrycast.event.max.bytes)",
                tooLarge.getMessage());
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
