package io.carrycast.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.forecast.Forecaster;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.state.KeyState;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * One batch of events through {@link Forecaster#process} with LSTM-64, rolled out to {@code steps} forecast
 * steps (1: the card has no rollout block): the model's cost per event as the rollout grows. Each step past
 * the first is one more batched runner call for the whole batch, so the score should grow about linearly with
 * the steps. Score: microseconds per batch; divide by the batch for the cost per event.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RolloutBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Param({"1", "2", "6", "12", "24"})
    public int steps;

    @Param({"1", "256"})
    public int batch;

    private Path bundle;
    private RecurrentModelRunner runner;
    private Forecaster forecaster;
    private List<Forecaster.Request> requests;

    @Setup(Level.Trial)
    public void open() throws IOException, URISyntaxException {
        Path lstm64 = Path.of(RolloutBenchmark.class.getResource("/bench/lstm64").toURI());
        bundle = Files.createTempDirectory("carrycast-rollout-bench-");
        Files.copy(lstm64.resolve(ModelBundle.MODEL_FILE), bundle.resolve(ModelBundle.MODEL_FILE));
        ObjectNode card = (ObjectNode) JSON.readTree(lstm64.resolve(ModelBundle.CARD_FILE).toFile());
        if (steps > 1) {
            card.set("rollout", rolloutBlock(steps));
        }
        Files.writeString(bundle.resolve(ModelBundle.CARD_FILE), JSON.writeValueAsString(card));
        runner = RecurrentModelRunner.open(ModelBundle.load(bundle), RunnerOptions.defaults());
        forecaster = new Forecaster(runner);
        Random random = new Random(1);
        requests = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            float[] features = new float[8];
            for (int f = 0; f < features.length; f++) {
                features[f] = (float) random.nextGaussian();
            }
            KeyState state = KeyState.initial(runner.bundle().fingerprint(), runner.stateTensorCount(),
                    runner.stateSizePerKey());
            requests.add(new Forecaster.Request("key-" + b, 1_700_000_000_000L, features, state, null));
        }
    }

    /** The bench models' target f0 is also their first input: fed back; the seven others held. */
    static ObjectNode rolloutBlock(int steps) {
        ObjectNode rollout = JSON.createObjectNode().put("steps", steps);
        ObjectNode inputs = rollout.putObject("inputs");
        inputs.putObject("f0").put("from_target", "f0");
        for (int f = 1; f < 8; f++) {
            inputs.put("f" + f, "hold");
        }
        return rollout;
    }

    @Benchmark
    public List<Forecaster.Outcome> process() {
        return forecaster.process(requests);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        runner.close();
        EndToEndBenchmark.deleteRecursively(bundle);
    }

    /**
     * The same batches timed by the calling thread's CPU time instead of the wall clock (ONNX Runtime with
     * one intra-op thread computes on the caller): on a busy, shared machine the wall clock mostly measures
     * waiting for a core. Prints one row per step count: CPU microseconds per event, and per event and step.
     */
    public static void main(String[] args) throws IOException, URISyntaxException {
        int calls = args.length > 0 ? Integer.parseInt(args[0]) : 400;
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        System.out.println("| steps | CPU us per event (batch 256) | CPU us per event and step |");
        System.out.println("|---|---|---|");
        for (int steps : new int[] {1, 2, 6, 12, 24}) {
            RolloutBenchmark bench = new RolloutBenchmark();
            bench.steps = steps;
            bench.batch = 256;
            bench.open();
            try {
                for (int i = 0; i < calls / 2; i++) {
                    bench.process();
                }
                long started = threads.getCurrentThreadCpuTime();
                for (int i = 0; i < calls; i++) {
                    bench.process();
                }
                double perEvent = (threads.getCurrentThreadCpuTime() - started) / 1e3 / calls / bench.batch;
                System.out.printf(java.util.Locale.ROOT, "| %d | %.2f | %.2f |%n", steps, perEvent, perEvent / steps);
            } finally {
                bench.close();
            }
        }
    }
}
