package io.carrycast.state;

import io.carrycast.CarrycastException;

/** Stored bytes that are not a state or window this version can read. */
public class StateFormatException extends CarrycastException {
    private static final long serialVersionUID = 1L;

    public StateFormatException(String message) {
        super(message);
    }
}
