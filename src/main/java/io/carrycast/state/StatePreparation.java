package io.carrycast.state;

/**
 * What happens to a key's stored state before its next step. Stored by ordinal in
 * {@link PendingEvent}: append new values at the end only.
 */
public enum StatePreparation {
    /** Step from the stored state. */
    CONTINUE,
    /** Step from a zero state (the key was silent longer than the maximum gap). */
    RESET_AFTER_GAP,
    /** Step from the state the model reaches over the key's stored window (after a gap). */
    REPRIME_AFTER_GAP,
    /** Step from the state the current model reaches over the stored window (the state layout changed). */
    REBUILD_FOR_MODEL,
    /**
     * Step from a zero state with no window: the key moved here from another route whose stored state and
     * window this route's model cannot use (other features).
     */
    RESET_FOR_ROUTE
}
