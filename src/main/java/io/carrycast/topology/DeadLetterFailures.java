package io.carrycast.topology;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
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
    private static final DeadLetterFailures SHARED = new DeadLetterFailures(REMEMBERED, Duration.ofSeconds(2));

    private final Set<String> failedSources;
    /** Failed dead letters in transactions that have not been replayed yet. */
    private final AtomicInteger awaitingReplay = new AtomicInteger();
    /**
     * The errors those dead letters failed with. The producer fails every other batch of the doomed transaction
     * with the very same instance, and gives it as the cause when it refuses the next send or the commit, so
     * identity tells a record aborted with the transaction from one that failed for itself, whenever its
     * callback runs. Weakly held: an error is forgotten once the producer drops it.
     */
    private final Set<Throwable> transactionErrors = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    /** Errors that have replaced a thread: each replaces one at most, so a failure cannot loop. */
    private final Set<Throwable> replacedFor = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));
    private final Duration callbackWait;

    /**
     * @param callbackWait how long the thread handler waits for the failed dead letter's callback when the
     *                     stream thread saw the producer's error first
     */
    DeadLetterFailures(int remembered, Duration callbackWait) {
        this.callbackWait = callbackWait;
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
     * {@code inTransaction}: the send was part of a transaction, which it ended with {@code error}.
     */
    void remember(String source, boolean inTransaction, Exception error) {
        failedSources.add(source);
        if (inTransaction) {
            synchronized (this) {
                transactionErrors.add(error);
                awaitingReplay.incrementAndGet();
                notifyAll();
            }
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

    /** Whether {@code error} is the one a failed dead letter ended its transaction with. */
    boolean endedTransaction(Exception error) {
        return transactionErrors.contains(error);
    }

    /**
     * Replaces the thread once per batch of failed dead letters, or when the failure goes back to the error one
     * of them failed with; anything else stops the client, as Kafka Streams' default does. Each replacement
     * uses up what was remembered, so a failure that recurs for other causes cannot replace threads forever.
     */
    @Override
    public StreamThreadExceptionResponse handle(Throwable exception) {
        boolean replaced = awaitingReplay.getAndSet(0) > 0;
        if (replaced) {
            synchronized (transactionErrors) {
                replacedFor.addAll(transactionErrors);
            }
        }
        if (replaced || causedByFailedDeadLetter(exception)) {
            LOG.warn("Replacing the stream thread: a dead letter could not be written, which ended its transaction; "
                    + "the events since the last commit are processed again, without that dead letter");
            return StreamThreadExceptionResponse.REPLACE_THREAD;
        }
        return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
    }

    /**
     * Whether a failed dead letter's error is among the causes. The producer marks the transaction failed
     * just before it runs the send's callback, so a send from the stream thread can be refused first: then
     * the callback is waited for, briefly.
     */
    private boolean causedByFailedDeadLetter(Throwable exception) {
        long deadline = System.nanoTime() + callbackWait.toNanos();
        synchronized (this) {
            while (true) {
                for (Throwable cause = exception; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
                    if (transactionErrors.contains(cause) && replacedFor.add(cause)) {
                        awaitingReplay.set(0);
                        return true;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
    }
}
