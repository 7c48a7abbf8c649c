/**
 * The per-key stored format: {@link io.carrycast.state.KeyState} (recurrent state) and
 * {@link io.carrycast.state.FeatureWindow} (recent feature vectors), each with its one binary encoding.
 * Both are stored in RocksDB and copied to changelog topics, so the encodings are versioned.
 */
package io.carrycast.state;
