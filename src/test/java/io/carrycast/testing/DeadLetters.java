package io.carrycast.testing;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.streams.test.TestRecord;

/** Reads what the dead-letter topic's records say about why an event was refused. */
public final class DeadLetters {

    private DeadLetters() {
    }

    /** The record's last header of that name as UTF-8 text, or null when it has none. */
    public static String header(TestRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    /** The {@code carrycast.reason} header: {@code late}, {@code not_json}, ... */
    public static String reason(TestRecord<String, byte[]> record) {
        return header(record, "carrycast.reason");
    }
}
