package io.carrycast;

/** Base of the exceptions carrycast raises at its boundaries; the message names what was wrong and where. */
public class CarrycastException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CarrycastException(String message) {
        super(message);
    }

    public CarrycastException(String message, Throwable cause) {
        super(message, cause);
    }
}
