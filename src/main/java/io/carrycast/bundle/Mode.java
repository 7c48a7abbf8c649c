package io.carrycast.bundle;

/** How a model turns a key's events into forecasts. */
public enum Mode {
    /** One network step per event; the recurrent state is carried from event to event. */
    STATEFUL,
    /** The network runs over the key's last W events from a zero state on every event. */
    WINDOW;

    public String cardName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
