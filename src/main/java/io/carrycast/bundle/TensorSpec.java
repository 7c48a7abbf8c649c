package io.carrycast.bundle;

import java.util.List;

/**
 * Tensor names as the card gives them. Null names, and a null state list, are discovered from the graph
 * by {@link io.carrycast.runner.RecurrentModelRunner}.
 */
public record TensorSpec(String input, String output, TensorLayout layout, List<StatePair> state) {
}
