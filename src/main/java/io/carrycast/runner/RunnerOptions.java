package io.carrycast.runner;

/**
 * How a runner's session is set up.
 *
 * @param intraOpThreads ONNX Runtime threads per call. 1 suits a Kafka Streams thread: the stream thread
 *                       already keeps a core busy, and extra ORT threads would spin against it.
 */
public record RunnerOptions(int intraOpThreads) {

    public static RunnerOptions defaults() {
        return new RunnerOptions(1);
    }

    public RunnerOptions {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, found " + intraOpThreads);
        }
    }
}
