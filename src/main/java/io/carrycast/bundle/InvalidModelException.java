package io.carrycast.bundle;

import io.carrycast.CarrycastException;

/** A model bundle that must not be served: unreadable, malformed card, or card and graph disagree. */
public class InvalidModelException extends CarrycastException {
    private static final long serialVersionUID = 1L;

    public InvalidModelException(String message) {
        super(message);
    }

    public InvalidModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
