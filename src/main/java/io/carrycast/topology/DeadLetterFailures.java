package io.carrycast.topology;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead letters that could not be written, remembered so that the application gets past them.
 *
 * <p>Under {@code exactly_once_v2} a failed send dooms the transaction it is part of: the producer refuses to
 * commit ("Cannot execute transactional method because we are in an error state"), and the stream thread
 * stops, whatever the production handler answered. As the stream thread's uncaught exception handler, this
 * class replaces the thread when the failure goes back to a dead letter {@link SendFailureHandler} saw fail;
 * the replacement processes the events since the last commit again, and {@link DeadLetterReasonHandler}
 * skips the dead letter of an event whose dead letter failed before. So a dead-letter topic that refuses
 * records costs a thread restart per such event: never a loop, never the application. Every other uncaught
 * exception stops the client, as Kafka Streams' default does. Under {@code at_least_once} a failed send
 * touches nothing else and the stream simply goes on.
 *
 * <p>One per JVM: Kafka Streams creates a handler per task, and the thread handler is set per client.
 */
public final class DeadLetterFailures implements StreamsUncaughtExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterFailures.class);
    private static final int REMEMBERED = 10_000;
    private static final DeadLetterFailures SHARED = new DeadLetterFailures(REMEMBERED);

    private final Set<String> failedSources;
    /** Failed dead letters in transactions that have not been replayed yet. */
    private final AtomicInteger awaitingReplay = new AtomicInteger();

    DeadLetterFailures(int remembered) {
        this.failedSources = Collections.synchronizedSet(Collections.newSetFromMap(new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > remembered;
            }
        }));
    }

    public static DeadLetterFailures shared() {
        return SHARED;
    }

    /**
     * The dead letter of the event at {@code source} ({@code topic-partition@offset}) could not be written;
     * {@code inTransaction}: the send was part of a transaction, which it ended.
     */
    void remember(String source, boolean inTransaction) {
        failedSources.add(source);
        if (inTransaction) {
            awaitingReplay.incrementAndGet();
        }
    }

    /** Whether writing the dead letter of the event at {@code source} failed before. */
    boolean failedBefore(String source) {
        return failedSources.contains(source);
    }

    /**
     * Whether a transaction ended by a failed dead letter is still to be replayed: until then, other sends
     * fail only because they were in that transaction.
     */
    boolean awaitingReplay() {
        return awaitingReplay.get() > 0;
    }

    /**
     * Replaces the thread once per batch of failed dead letters (the callback that remembers them runs before
     * the producer fails the transaction, so they are known by the time the thread stops); anything else stops
     * the client, as Kafka Streams' default does. Each replacement uses up what was remembered, so a failure
     * that recurs for other causes cannot replace threads forever.
     */
    @Override
    public StreamThreadExceptionResponse handle(Throwable exception) {
        if (awaitingReplay.getAndSet(0) > 0) {
            LOG.warn("Replacing the stream thread: a dead letter could not be written, which ended its transaction; "
                    + "the events since the last commit are processed again, without that dead letter");
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }
}
