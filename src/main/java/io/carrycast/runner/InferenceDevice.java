package io.carrycast.runner;

import java.util.Locale;

/**
 * Where a model runs: {@code cpu}, or {@code cuda} / {@code cuda:N} for ONNX Runtime's CUDA execution
 * provider on GPU N (0 by default). The CUDA provider needs the {@code onnxruntime_gpu} build (Maven
 * profile {@code gpu}) and CUDA 12 with cuDNN 9 on the host.
 */
public record InferenceDevice(boolean cuda, int deviceId) {

    public static final InferenceDevice CPU = new InferenceDevice(false, 0);

    /**
     * Reads {@code cpu}, {@code cuda} or {@code cuda:N}.
     *
     * @throws IllegalArgumentException saying what is allowed
     */
    public static InferenceDevice parse(String text) {
        String value = text.trim().toLowerCase(Locale.ROOT);
        if (value.equals("cpu")) {
            return CPU;
        }
        if (value.equals("cuda")) {
            return new InferenceDevice(true, 0);
        }
        if (value.startsWith("cuda:")) {
            try {
                int id = Integer.parseInt(value.substring(5));
                if (id >= 0) {
                    return new InferenceDevice(true, id);
                }
            } catch (NumberFormatException notANumber) {
                // falls through to the message below
            }
        }
        throw new IllegalArgumentException("must be cpu, cuda or cuda:N with N a GPU number >= 0, found '" + text + "'");
    }

    @Override
    public String toString() {
        return cuda ? "cuda:" + deviceId : "cpu";
    }
}
