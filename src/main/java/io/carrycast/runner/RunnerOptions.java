package io.carrycast.runner;

import java.util.Map;

/**
 * How a runner's session is set up.
 *
 * @param intraOpThreads ONNX Runtime threads per call. 1 suits a Kafka Streams thread: the stream thread
 *                       already keeps a core busy, and extra ORT threads would spin against it.
 * @param device         where the model runs
 * @param fallbackToCpu  with a CUDA device that cannot be loaded: run on CPU (true) or refuse to start
 * @param cudaOptions    CUDA execution provider options passed through as they are (for example
 *                       {@code gpu_mem_limit}, {@code arena_extend_strategy}, {@code cudnn_conv_algo_search})
 */
public record RunnerOptions(int intraOpThreads, InferenceDevice device, boolean fallbackToCpu,
                            Map<String, String> cudaOptions) {

    public RunnerOptions {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, found " + intraOpThreads);
        }
        cudaOptions = Map.copyOf(cudaOptions);
    }

    public RunnerOptions(int intraOpThreads) {
        this(intraOpThreads, InferenceDevice.CPU, false, Map.of());
    }

    public static RunnerOptions defaults() {
        return new RunnerOptions(1);
    }
}
