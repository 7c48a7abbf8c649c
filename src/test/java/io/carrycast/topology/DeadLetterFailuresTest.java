package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

/** A failed dead letter replaces the stream thread once; everything else stops the client, as by default. */
class DeadLetterFailuresTest {

    private static final StreamsException DOOMED_COMMIT = new StreamsException("Error encountered trying to add offsets "
            + "to a transaction", new KafkaException("Cannot execute transactional method because we are in an error state"));

    private final DeadLetterFailures failures = new DeadLetterFailures(2, Duration.ofMillis(300));

    @Test
    void shouldReplaceTheThreadOnceAfterADeadLetterFailedInATransaction() {
        failures.remember("events-1@24", true, new RecordTooLargeException("refused"));
        assertTrue(failures.awaitingReplay());

        assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, failures.handle(DOOMED_COMMIT));
        assertFalse(failures.awaitingReplay());
        assertTrue(failures.failedBefore("events-1@24"), "the replay lets that event through without its dead letter");
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, failures.handle(DOOMED_COMMIT),
                "the same failure again, with no new failed dead letter, stops the client: no loop");
    }

    @Test
    void shouldKnowTheOtherRecordsOfTheTransactionByTheDeadLettersError() {
        RecordTooLargeException deadLetterError = new RecordTooLargeException("refused");
        failures.remember("events-1@24", true, deadLetterError);
        failures.handle(DOOMED_COMMIT);

        assertTrue(failures.endedTransaction(deadLetterError), "a forecast aborted with it, after the replacement");
        assertFalse(failures.endedTransaction(new RecordTooLargeException("refused")), "a record too large itself");
    }

    @Test
    void shouldReplaceTheThreadWhenTheProducerRefusedASendBeforeTheDeadLettersCallbackRan() throws Exception {
        RecordTooLargeException deadLetterError = new RecordTooLargeException("refused");
        StreamsException refusedSend = new StreamsException("send failed", new KafkaException(
                "Cannot perform send because at least one previous transactional or idempotent request has failed",
                deadLetterError));
        CompletableFuture<Void> callback = CompletableFuture.runAsync(
                () -> failures.remember("events-1@24", true, deadLetterError),
                CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS));

        assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, failures.handle(refusedSend));
        callback.get(5, TimeUnit.SECONDS);
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, failures.handle(refusedSend),
                "that error has replaced its thread: no loop");
    }

    @Test
    void shouldStopTheClientOnAnyOtherFailure() {
        failures.remember("events-0@3", false, null);

        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, failures.handle(new IllegalStateException("bug")));
        assertTrue(failures.failedBefore("events-0@3"));
        assertFalse(failures.failedBefore("events-0@4"));
    }

    @Test
    void shouldRememberOnlyTheMostRecentFailures() {
        failures.remember("events-0@1", false, null);
        failures.remember("events-0@2", false, null);
        failures.remember("events-0@3", false, null);

        assertFalse(failures.failedBefore("events-0@1"));
        assertTrue(failures.failedBefore("events-0@2"));
        assertTrue(failures.failedBefore("events-0@3"));
    }
}
