package io.carrycast.topology;

import java.time.Duration;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Asks Kafka Streams to commit once per light-load interval when the task processed few records in it. A
 * commit writes every state the record cache holds dirty while the stream thread waits: at a light load,
 * a commit every 30 s (at-least-once's default) writes tens of thousands at once, and every event arriving
 * meanwhile waits. At a higher load commits stay at {@code commit.interval.ms}, where they deduplicate
 * a key's many writes.
 *
 * <p>It also counts every record the task processes, which tells the task's processors, at their maximum-wait
 * punctuation, whether input still flows.
 */
final class LightLoadCommits {

    private final ProcessorContext<?, ?> context;
    /** The light-load commit interval in ms; 0: no requests. */
    private final long intervalMs;
    private final int lightLoadRecords;
    /** The start of the current interval (the task's wall clock), and the records processed since. */
    private long intervalStartMs;
    private int recordsInInterval;
    /** Every record the task has processed since it started. */
    private long recordsProcessed;

    /**
     * @param interval         how often a task at a light load requests a commit; zero: never
     * @param lightLoadRecords most records a task may process in an interval and still be at a light load
     */
    LightLoadCommits(ProcessorContext<?, ?> context, Duration interval, int lightLoadRecords) {
        this.context = context;
        this.intervalMs = interval.toMillis();
        this.lightLoadRecords = lightLoadRecords;
        if (intervalMs > 0) {
            this.intervalStartMs = context.currentSystemTimeMs();
        }
    }

    /** Counts one processed record, and requests a commit when an interval at a light load has passed. */
    void recordProcessed() {
        recordsProcessed++;
        if (intervalMs == 0) {
            return;
        }
        recordsInInterval++;
        long now = context.currentSystemTimeMs();
        if (now - intervalStartMs >= intervalMs) {
            if (recordsInInterval <= lightLoadRecords) {
                context.commit();
            }
            intervalStartMs = now;
            recordsInInterval = 0;
        }
    }

    /** The records the task has processed since it started. */
    long recordsProcessed() {
        return recordsProcessed;
    }
}
