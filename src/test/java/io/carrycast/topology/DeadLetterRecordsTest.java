package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.internal.AbstractRecords;
import org.apache.kafka.common.record.internal.CompressionType;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeadLetterRecordsTest {

    private static final String TOPIC = "dead-letter";

    @Test
    void shouldLeaveARecordThatFitsAsItIs() {
        ProducerRecord<byte[], byte[]> record = record(bytes(100, 'k'), bytes(5_000, 'v'), 2_000);

        assertSame(record, DeadLetterRecords.forProducer(Map.of("max.request.size", 10_000)).fit(record));
        assertNull(record.headers().lastHeader(DeadLetterRecords.ORIGINAL_BYTES_HEADER));
    }

    @Test
    void shouldCutTheValueToExactlyWhatFitsAndSaySo() {
        byte[] value = bytes(50_000, 'v');
        ProducerRecord<byte[], byte[]> record = record(bytes(100, 'k'), value, 2_000);

        ProducerRecord<byte[], byte[]> cut = DeadLetterRecords.forProducer(Map.of("max.request.size", 10_000)).fit(record);

        assertEquals(10_000, DeadLetterRecords.upperBoundBytes(cut), "as large as the limit allows, no larger");
        assertArrayEquals(Arrays.copyOf(value, cut.value().length), cut.value(), "the value's first bytes");
        assertArrayEquals(record.key(), cut.key());
        assertEquals("50000", header(cut, DeadLetterRecords.ORIGINAL_BYTES_HEADER));
        assertEquals("max.request.size", header(cut, DeadLetterRecords.TRUNCATED_HEADER));
        assertEquals("trace", header(cut, "__streams.errors.stacktrace"), "the other headers kept");
        assertNull(cut.headers().lastHeader(DeadLetterRecords.ORIGINAL_KEY_BYTES_HEADER), "the key was not cut");
        assertEquals(TOPIC, cut.topic());
        assertEquals(record.timestamp(), cut.timestamp());
    }

    @Test
    void shouldLeaveTheValueOutAndCutTheKeyWhenTheKeyAloneIsTooLarge() {
        byte[] key = bytes(30_000, 'k');
        ProducerRecord<byte[], byte[]> record = record(key, bytes(100, 'v'), 2_000);

        ProducerRecord<byte[], byte[]> cut = DeadLetterRecords.forProducer(Map.of("max.request.size", 10_000)).fit(record);

        assertNull(cut.value());
        assertEquals(10_000, DeadLetterRecords.upperBoundBytes(cut));
        assertArrayEquals(Arrays.copyOf(key, cut.key().length), cut.key(), "the key's first bytes");
        assertEquals("30000", header(cut, DeadLetterRecords.ORIGINAL_KEY_BYTES_HEADER));
        assertEquals("100", header(cut, DeadLetterRecords.ORIGINAL_BYTES_HEADER));
    }

    @ParameterizedTest(name = "value of {0} bytes")
    @ValueSource(ints = {0, 1, 127, 128, 16_383, 16_384, 1_000_000})
    void shouldNeverCountFewerBytesThanTheProducersOwnSizeCheck(int valueBytes) {
        ProducerRecord<byte[], byte[]> record = record(bytes(300, 'k'), bytes(valueBytes, 'v'), 5_000);
        int producers = AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE,
                record.key(), record.value(), record.headers().toArray());

        assertTrue(DeadLetterRecords.upperBoundBytes(record) >= producers,
                DeadLetterRecords.upperBoundBytes(record) + " < " + producers);
        assertTrue(DeadLetterRecords.upperBoundBytes(record) - producers < 64, "and not many more");
    }

    @Test
    void shouldTakeTheLimitFromTheProducerSettingsKafkaStreamsUses() {
        assertEquals(1024 * 1024, DeadLetterRecords.forProducer(Map.of()).maxRecordBytes(), "Kafka's default");
        assertEquals(2_000_000, DeadLetterRecords.forProducer(Map.of("max.request.size", "2000000")).maxRecordBytes());
        assertEquals(3_000_000, DeadLetterRecords.forProducer(Map.of("max.request.size", 2_000_000,
                "producer.max.request.size", 3_000_000)).maxRecordBytes(), "the producer. prefix wins");

        DeadLetterRecords byMemory = DeadLetterRecords.forProducer(Map.of("max.request.size", "50000000",
                "buffer.memory", "40000000"));
        assertEquals(40_000_000, byMemory.maxRecordBytes());
        ProducerRecord<byte[], byte[]> cut = byMemory.fit(record(null, bytes(45_000_000, 'v'), 10));
        assertEquals("buffer.memory", header(cut, DeadLetterRecords.TRUNCATED_HEADER));
    }

    private static ProducerRecord<byte[], byte[]> record(byte[] key, byte[] value, int traceBytes) {
        RecordHeaders headers = new RecordHeaders();
        headers.add("carrycast.reason", "too_large".getBytes(StandardCharsets.UTF_8));
        headers.add("__streams.errors.stacktrace", traceBytes == 0 ? new byte[0] : "trace".getBytes(StandardCharsets.UTF_8));
        headers.add("padding", bytes(traceBytes, 'p'));
        return new ProducerRecord<>(TOPIC, null, 1_700_000_000_000L, key, value, headers);
    }

    private static byte[] bytes(int count, char fill) {
        byte[] bytes = new byte[count];
        Arrays.fill(bytes, (byte) fill);
        return bytes;
    }

    private static String header(ProducerRecord<byte[], byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }
}
