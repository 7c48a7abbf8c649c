package io.carrycast.forecast;

import io.carrycast.CarrycastException;
import java.util.Locale;

/** An event that cannot be used; the key's state and window stay as they were. */
public class InvalidEventException extends CarrycastException {
    private static final long serialVersionUID = 1L;

    /** Why an event was refused; the lower-case name is what the dead-letter header and metrics say. */
    public enum Reason {
        NOT_JSON, NOT_OBJECT, MISSING_FEATURE, NOT_A_NUMBER, NOT_FINITE, BAD_TIMESTAMP, NO_KEY, TOO_LARGE,
        INCOMPATIBLE_STATE, LATE, NO_ROUTE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Reason reason;

    public InvalidEventException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
