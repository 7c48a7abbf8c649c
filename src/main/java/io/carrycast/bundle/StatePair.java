package io.carrycast.bundle;

/** A state tensor the graph takes in and the tensor it returns for the next step, e.g. {@code h0 -> hn}. */
public record StatePair(String input, String output) {
    @Override
    public String toString() {
        return input + "->" + output;
    }
}
