package io.carrycast.bundle;

/** One forecast target: the event field it predicts and the statistics that de-normalise the output. */
public record TargetSpec(String field, double mean, double std) {

    public double denormalise(double normalised) {
        return normalised * std + mean;
    }

    public double normalise(double raw) {
        return (raw - mean) / std;
    }
}
