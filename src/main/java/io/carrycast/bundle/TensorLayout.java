package io.carrycast.bundle;

/** Order of the sequence and batch axes of the feature input (and of a rank-3 forecast output). */
public enum TensorLayout {
    /** {@code [T, B, F]}: PyTorch's default and ONNX's native RNN layout. */
    TIME_MAJOR,
    /** {@code [B, T, F]}: PyTorch with {@code batch_first=True}, Keras. */
    BATCH_MAJOR;

    public String cardName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
