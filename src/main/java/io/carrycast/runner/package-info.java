/**
 * The model runner: one ONNX Runtime session per model, stepping a batch of keys one event at a time or
 * running whole windows. {@link io.carrycast.runner.GraphBinding} matches the card to the graph.
 */
package io.carrycast.runner;
