package io.carrycast.runner;

import io.carrycast.CarrycastException;

/** ONNX Runtime failed to run a model that was accepted at start-up. */
public class InferenceException extends CarrycastException {
    private static final long serialVersionUID = 1L;

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
