/** The model bundle: a directory holding {@code model.onnx} and its {@code model.json} card. */
package io.carrycast.bundle;
