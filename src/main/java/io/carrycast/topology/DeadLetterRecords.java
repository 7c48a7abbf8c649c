package io.carrycast.topology;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Keeps dead-letter records sendable. The producer refuses, before sending, any record whose serialized
 * size is over {@code max.request.size} (1 MB by default) or {@code buffer.memory}; Kafka Streams' handlers
 * copy the whole event into the dead-letter record, so an event of about 1 MB or more made a dead-letter
 * record that could never be written. {@link #fit} cuts the value (and, should it come to that, the key) to
 * what fits, and says so in headers.
 */
public final class DeadLetterRecords {

    /** The value's size in bytes before it was cut; present only on cut records. */
    public static final String ORIGINAL_BYTES_HEADER = "carrycast.original.bytes";
    /** Present only on cut records: the producer setting whose limit forced the cut ({@code max.request.size}). */
    public static final String TRUNCATED_HEADER = "carrycast.value.truncated";
    /** The key's size in bytes before it was cut; present only when the key had to be cut as well. */
    public static final String ORIGINAL_KEY_BYTES_HEADER = "carrycast.original.key.bytes";

    /** Kafka's own default for {@code max.request.size} (ProducerConfig). */
    static final int DEFAULT_MAX_REQUEST_BYTES = 1024 * 1024;
    /** Kafka's own default for {@code buffer.memory} (ProducerConfig). */
    static final long DEFAULT_BUFFER_MEMORY_BYTES = 32L * 1024 * 1024;

    /*
     * Upper bounds of a record's framing in Kafka's v2 format, as the producer's own size check counts it:
     * the batch header (61 bytes), the record's fixed overhead (21), and a varint of at most 5 bytes before
     * each length-prefixed field.
     */
    private static final int BATCH_OVERHEAD = 61;
    private static final int RECORD_OVERHEAD = 21;
    private static final int VARINT = 5;

    private final int maxRecordBytes;
    private final String limitName;

    private DeadLetterRecords(int maxRecordBytes, String limitName) {
        this.maxRecordBytes = maxRecordBytes;
        this.limitName = limitName;
    }

    /**
     * A fitter for the producer Kafka Streams builds from these settings: {@code producer.}-prefixed settings
     * win over plain ones, as in Kafka Streams.
     */
    public static DeadLetterRecords forProducer(Map<String, ?> streamsSettings) {
        long maxRequest = producerSetting(streamsSettings, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, DEFAULT_MAX_REQUEST_BYTES);
        long bufferMemory = producerSetting(streamsSettings, ProducerConfig.BUFFER_MEMORY_CONFIG, DEFAULT_BUFFER_MEMORY_BYTES);
        return maxRequest <= bufferMemory
                ? new DeadLetterRecords((int) Math.min(Integer.MAX_VALUE, maxRequest), ProducerConfig.MAX_REQUEST_SIZE_CONFIG)
                : new DeadLetterRecords((int) Math.min(Integer.MAX_VALUE, bufferMemory), ProducerConfig.BUFFER_MEMORY_CONFIG);
    }

    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /**
     * The record as it is when it fits; otherwise a copy with the same headers plus {@value #TRUNCATED_HEADER}
     * and {@value #ORIGINAL_BYTES_HEADER}, and the value cut to the bytes that fit. Should the key and
     * headers alone fill the limit, the value is left out and the key cut too, its size in
     * {@value #ORIGINAL_KEY_BYTES_HEADER}.
     */
    public ProducerRecord<byte[], byte[]> fit(ProducerRecord<byte[], byte[]> record) {
        if (upperBoundBytes(record) <= maxRecordBytes) {
            return record;
        }
        byte[] key = record.key();
        byte[] value = record.value();
        Headers headers = record.headers();
        headers.add(TRUNCATED_HEADER, utf8(limitName));
        headers.add(ORIGINAL_BYTES_HEADER, utf8(String.valueOf(value == null ? 0 : value.length)));
        int roomForValue = maxRecordBytes - upperBoundBytes(copy(record, key, null));
        if (roomForValue >= 0) {
            return copy(record, key, value == null ? null : Arrays.copyOf(value, Math.min(roomForValue, value.length)));
        }
        headers.add(ORIGINAL_KEY_BYTES_HEADER, utf8(String.valueOf(key.length)));
        int roomForKey = Math.max(0, maxRecordBytes - upperBoundBytes(copy(record, null, null)));
        return copy(record, Arrays.copyOf(key, Math.min(roomForKey, key.length)), null);
    }

    private static ProducerRecord<byte[], byte[]> copy(ProducerRecord<byte[], byte[]> record, byte[] key, byte[] value) {
        return new ProducerRecord<>(record.topic(), record.partition(), record.timestamp(), key, value, record.headers());
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** At least the size the producer's own check gives this record, alone in its batch. */
    static int upperBoundBytes(ProducerRecord<byte[], byte[]> record) {
        long size = BATCH_OVERHEAD + RECORD_OVERHEAD + lengthPrefixed(record.key()) + lengthPrefixed(record.value()) + VARINT;
        for (Header header : record.headers()) {
            size += lengthPrefixed(header.key().getBytes(StandardCharsets.UTF_8)) + lengthPrefixed(header.value());
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }

    private static long lengthPrefixed(byte[] bytes) {
        return VARINT + (bytes == null ? 0 : bytes.length);
    }

    private static long producerSetting(Map<String, ?> settings, String name, long defaultValue) {
        Object value = settings.get(StreamsConfig.producerPrefix(name));
        if (value == null) {
            value = settings.get(name);
        }
        if (value == null) {
            return defaultValue;
        }
        return ((Number) ConfigDef.parseType(name, value, name.equals(ProducerConfig.BUFFER_MEMORY_CONFIG)
                ? ConfigDef.Type.LONG : ConfigDef.Type.INT)).longValue();
    }
}
