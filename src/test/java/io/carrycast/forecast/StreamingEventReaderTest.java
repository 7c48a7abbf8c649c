package io.carrycast.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.testing.Fixture;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The streaming read ({@link EventReader#read}) against the tree parse ({@link EventReader#parse}): the same
 * event time and features, or the same refusal with the same reason and message, for every edge case.
 */
class StreamingEventReaderTest {

    private static final String TIME = "\"time\":\"2024-03-30T21:01:30Z\"";
    /** The lstm fixture's features are level (mean 12, std 3), flow (250, 40) and pressure (1013, 8). */
    private final FeatureExtractor extractor = new FeatureExtractor(Fixture.load("lstm").card());
    private final EventReader reader = new EventReader("time", TimestampFormat.of("iso"), 300);
    private final EventReader.Fields fields = reader.fields(extractor.fieldNames(), null);

    /** What a path made of an event: time and features, or why it was refused. */
    private record Outcome(long timeMs, List<Float> features, Reason reason, String message) {
    }

    private Outcome viaTree(String json) {
        try {
            var event = reader.parse(bytes(json));
            long time = reader.eventTime(event, 0L);
            return new Outcome(time, boxed(extractor.extract(event, time)), null, null);
        } catch (InvalidEventException e) {
            return new Outcome(0, null, e.reason(), e.getMessage());
        }
    }

    private Outcome viaStream(String json) {
        try {
            EventReader.Values event = reader.read(bytes(json), fields);
            long time = reader.eventTime(event, 0L);
            return new Outcome(time, boxed(extractor.extract(event, time)), null, null);
        } catch (InvalidEventException e) {
            return new Outcome(0, null, e.reason(), e.getMessage());
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
            "{" + TIME + ",'level':15,'flow':290,'pressure':1021}|",
            "{'pressure':1021.0,'flow':290.5," + TIME + ",'level':-15e-1}|",
            // Numbers written as strings, with blanks around them.
            "{" + TIME + ",'level':' 15 ','flow':'2.9e2','pressure':'1021'}|",
            // A field given twice: the last value counts, in both directions.
            "{" + TIME + ",'level':'high','level':15,'flow':290,'pressure':1021}|",
            "{" + TIME + ",'level':15,'level':'high','flow':290,'pressure':1021}|NOT_A_NUMBER",
            "{" + TIME + ",'level':15,'level':null,'flow':290,'pressure':1021}|MISSING_FEATURE",
            // Nested objects and arrays are ignored, even when they hold fields with the features' names.
            "{" + TIME + ",'extra':{'level':'x','flow':[1,{'pressure':null}]},'level':15,'flow':290,'pressure':1021}|",
            // ... unless a feature's own name holds one.
            "{" + TIME + ",'level':{'value':15},'flow':290,'pressure':1021}|NOT_A_NUMBER",
            "{" + TIME + ",'level':[15],'flow':290,'pressure':1021}|NOT_A_NUMBER",
            "{" + TIME + ",'level':true,'flow':290,'pressure':1021}|NOT_A_NUMBER",
            "{" + TIME + ",'level':'','flow':290,'pressure':1021}|NOT_A_NUMBER",
            "{" + TIME + ",'level':NaN,'flow':290,'pressure':1021}|NOT_FINITE",
            "{" + TIME + ",'level':'-Infinity','flow':290,'pressure':1021}|NOT_FINITE",
            "{" + TIME + ",'level':1e400,'flow':290,'pressure':1021}|NOT_FINITE",
            "{" + TIME + ",'level':1000000000000000000000000000000000000000000000000000000000000000,"
                    + "'flow':290,'pressure':1021}|",
            "{" + TIME + ",'flow':290,'pressure':1021}|MISSING_FEATURE",
            "{" + TIME + ",'level':null,'flow':290,'pressure':1021}|MISSING_FEATURE",
            // A field name written with an escape is the same name.
            "{" + TIME + ",'\\u006cevel':15,'flow':290,'pressure':1021}|",
            // What follows the object is not read, by either path.
            "{" + TIME + ",'level':15,'flow':290,'pressure':1021} trailing|",
            "{'level':15,'flow':290,'pressure':1021}|BAD_TIMESTAMP",
            "{'time':null,'level':15,'flow':290,'pressure':1021}|BAD_TIMESTAMP",
            "{'time':{'iso':'2024-03-30'},'level':15,'flow':290,'pressure':1021}|BAD_TIMESTAMP",
            "{'time':20240330,'level':15,'flow':290,'pressure':1021}|BAD_TIMESTAMP",
            "{'time':'yesterday','level':15,'flow':290,'pressure':1021}|BAD_TIMESTAMP",
            "{'level':15,|NOT_JSON",
            "{level: 15}|NOT_JSON",
            "{'level':15,}|NOT_JSON",
            "{'level':15 'flow':2}|NOT_JSON",
            "{'extra':{'a':[1,2}," + TIME + "}|NOT_JSON",
            "[1,2]|NOT_OBJECT",
            "'text'|NOT_OBJECT",
            "42|NOT_OBJECT",
            "null|NOT_OBJECT"})
    void shouldReadEveryEventAsTheTreeParserDoes(String quoted, Reason expected) {
        String json = quoted.replace('\'', '"');
        Outcome tree = viaTree(json);
        assertEquals(expected, tree.reason(), "the case tests what it says: " + tree);
        assertEquals(tree, viaStream(json));
    }

    @Test
    void shouldReadTheFeaturesTheCardAsksFor() {
        Outcome read = viaStream("{" + TIME + ",\"flow\":290,\"level\":\"15\",\"pressure\":1021,\"note\":\"x\"}");
        assertEquals(1711832490000L, read.timeMs());
        assertEquals(List.of(1.0f, 1.0f, 1.0f), read.features());
    }

    @Test
    void shouldSayWhichFieldIsWrongAndWhatItHolds() {
        InvalidEventException e = assertThrows(InvalidEventException.class, () -> extractor.extract(
                reader.read(bytes("{" + TIME + ",\"level\":15,\"flow\":{\"v\":1},\"pressure\":1021}"), fields), 0L));
        assertEquals(Reason.NOT_A_NUMBER, e.reason());
        assertEquals("event field 'flow' must be a number, found {\"v\":1}", e.getMessage());
        InvalidEventException nan = assertThrows(InvalidEventException.class, () -> extractor.extract(
                reader.read(bytes("{" + TIME + ",\"level\":NaN,\"flow\":1,\"pressure\":1021}"), fields), 0L));
        // Jackson writes a non-finite number node as a JSON string; the tree path says the same.
        assertEquals("event field 'level' must be finite, found \"NaN\"", nan.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "{}x", " "})
    void shouldRefuseEmptyAndBrokenValuesAsTheTreeParserDoes(String json) {
        assertEquals(viaTree(json), viaStream(json));
    }

    @Test
    void shouldRefuseEventsOverTheSizeLimitUnread() {
        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> reader.read(bytes("{\"pad\":\"" + "x".repeat(300) + "\"}"), fields));
        assertEquals(Reason.TOO_LARGE, e.reason());
        assertEquals("event value has 310 bytes, over the limit of 300 (carrycast.event.max.bytes)", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
            "{'id':'pump-7'}|pump-7|",
            "{'id':7}|7|",
            "{'id':7.5}|7.5|",
            "{'id':'a','id':'b'}|b|",
            "{'id':''}||event has no usable key field 'id', found \"\"",
            "{'id':null}||event has no usable key field 'id', found null",
            "{'id':{'x':1}}||event has no usable key field 'id', found {\"x\":1}",
            "{'other':1}||event has no usable key field 'id', found nothing"})
    void shouldReadTheKeyFieldAsTheTreeParserDoes(String quoted, String key, String message) {
        String json = quoted.replace('\'', '"');
        EventReader.Fields keyField = reader.fields(List.of(), "id");
        if (key != null) {
            assertEquals(key, EventReader.keyField(reader.read(bytes(json), keyField)));
            assertEquals(key, EventReader.keyField(reader.parse(bytes(json)), "id"));
        } else {
            InvalidEventException streamed = assertThrows(InvalidEventException.class,
                    () -> EventReader.keyField(reader.read(bytes(json), keyField)));
            InvalidEventException tree = assertThrows(InvalidEventException.class,
                    () -> EventReader.keyField(reader.parse(bytes(json)), "id"));
            assertEquals(Reason.NO_KEY, streamed.reason());
            assertEquals(message, streamed.getMessage());
            assertEquals(message, tree.getMessage());
        }
    }

    @Test
    void shouldReadEpochMillisTimestampsWrittenAsNumbers() {
        EventReader epoch = new EventReader("time", TimestampFormat.of("epoch_millis"), 300);
        String json = "{\"time\":1711832490000,\"level\":15,\"flow\":290,\"pressure\":1021}";
        EventReader.Values read = epoch.read(bytes(json), epoch.fields(extractor.fieldNames(), null));
        assertEquals(1711832490000L, epoch.eventTime(read, 0L));
        assertEquals(1711832490000L, epoch.eventTime(epoch.parse(bytes(json)), 0L));
    }

    private static List<Float> boxed(float[] values) {
        Float[] boxed = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return List.of(boxed);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
