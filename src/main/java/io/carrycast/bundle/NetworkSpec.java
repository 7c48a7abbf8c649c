package io.carrycast.bundle;

/** The recurrent network's shape as the card declares it; the graph's state tensors must agree. */
public record NetworkSpec(Cell cell, int layers, int hidden, boolean bidirectional) {

    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** First dimension of every state tensor: {@code layers * directions}. */
    public int stateSlices() {
        return layers * directions();
    }

    /** Floats one key carries per state tensor. */
    public int stateSizePerKey() {
        return stateSlices() * hidden;
    }
}
