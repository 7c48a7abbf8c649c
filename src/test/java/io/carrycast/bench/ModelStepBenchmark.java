package io.carrycast.bench;

import io.carrycast.bundle.ModelBundle;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One model step for a batch of keys through {@link RecurrentModelRunner}: the cost the micro-batching
 * spreads across keys. Score: microseconds per call; divide by the batch for the cost per event.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ModelStepBenchmark {

    @Param({"lstm64", "gru64", "rnn64"})
    public String model;

    @Param({"1", "16", "64", "256", "1024"})
    public int batch;

    private RecurrentModelRunner runner;
    private float[] features;
    private float[][] statesIn;
    private float[][] statesOut;
    private float[] forecasts;

    @Setup(Level.Trial)
    public void open() throws URISyntaxException {
        Path dir = Path.of(ModelStepBenchmark.class.getResource("/bench/" + model).toURI());
        runner = RecurrentModelRunner.open(ModelBundle.load(dir), RunnerOptions.defaults());
        Random random = new Random(1);
        int featureCount = runner.bundle().card().features().size();
        features = new float[batch * featureCount];
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) random.nextGaussian();
        }
        statesIn = new float[runner.stateTensorCount()][batch * runner.stateSizePerKey()];
        statesOut = new float[runner.stateTensorCount()][batch * runner.stateSizePerKey()];
        forecasts = new float[batch * runner.bundle().card().outputsPerForecast()];
    }

    @Benchmark
    public float[] step() {
        runner.step(batch, features, statesIn, forecasts, statesOut);
        return forecasts;
    }

    @TearDown(Level.Trial)
    public void close() {
        runner.close();
    }
}
