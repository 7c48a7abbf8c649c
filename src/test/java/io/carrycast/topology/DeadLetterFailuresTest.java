package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

/** A failed dead letter replaces the stream thread once; everything else stops the client, as by default. */
class DeadLetterFailuresTest {

    private static final StreamsException DOOMED_COMMIT = new StreamsException("Error encountered trying to add offsets "
            + "to a transaction", new KafkaException("Cannot execute transactional method because we are in an error state"));

    private final DeadLetterFailures failures = new DeadLetterFailures(2);

    @Test
    void shouldReplaceTheThreadOnceAfterADeadLetterFailedInATransaction() {
        failures.remember("events-1@24", true);
        assertTrue(failures.awaitingReplay());

        assertEquals(StreamThreadExceptionResponse.REPLACE_THREAD, failures.handle(DOOMED_COMMIT));
        assertFalse(failures.awaitingReplay());
        assertTrue(failures.failedBefore("events-1@24"), "the replay lets that event through without its dead letter");
        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, failures.handle(DOOMED_COMMIT),
                "the same failure again, with no new failed dead letter, stops the client: no loop");
    }

    @Test
    void shouldStopTheClientOnAnyOtherFailure() {
        failures.remember("events-0@3", false);

        assertEquals(StreamThreadExceptionResponse.SHUTDOWN_CLIENT, failures.handle(new IllegalStateException("bug")));
        assertTrue(failures.failedBefore("events-0@3"));
        assertFalse(failures.failedBefore("events-0@4"));
    }

    @Test
    void shouldRememberOnlyTheMostRecentFailures() {
        failures.remember("events-0@1", false);
        failures.remember("events-0@2", false);
        failures.remember("events-0@3", false);

        assertFalse(failures.failedBefore("events-0@1"));
        assertTrue(failures.failedBefore("events-0@2"));
        assertTrue(failures.failedBefore("events-0@3"));
    }
}
