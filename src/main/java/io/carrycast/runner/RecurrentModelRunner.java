package io.carrycast.runner;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.carrycast.bundle.InvalidModelException;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.StatePair;
import io.carrycast.bundle.TensorLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs one recurrent model with ONNX Runtime. Owns one {@link OrtSession}, opened and checked against
 * the card in {@link #open}, reused for every call and released by {@link #close}; callers close the
 * runner after the last call. Safe to call from several threads: each thread gets its own native
 * buffers, and ORT sessions accept concurrent runs.
 *
 * <p>Arrays cross this API key-major: key b's features are {@code features[b*F .. b*F+F)}, its state
 * tensor s is {@code states[s][b*S .. b*S+S)} with S = layers*directions*hidden, laid out as the graph's
 * {@code [layers*directions, hidden]} slice for that key. The runner rearranges them into the graph's
 * {@code [T, B, F]} / {@code [B, T, F]} and {@code [layers*directions, B, hidden]} layouts.
 */
public final class RecurrentModelRunner implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RecurrentModelRunner.class);

    private final ModelBundle bundle;
    private final OrtEnvironment environment;
    private final OrtSession session;
    private final GraphBinding binding;
    private final int featureCount;
    private final int outputCount;
    private final int stateSlices;
    private final int hidden;
    private final String provider;
    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);
    private volatile boolean closed;

    private RecurrentModelRunner(ModelBundle bundle, OrtEnvironment environment, OrtSession session,
                                 GraphBinding binding, String provider) {
        this.bundle = bundle;
        this.provider = provider;
        this.environment = environment;
        this.session = session;
        this.binding = binding;
        ModelCard card = bundle.card();
        this.featureCount = card.features().size();
        this.outputCount = card.outputsPerForecast();
        this.stateSlices = card.network().stateSlices();
        this.hidden = card.network().hidden();
    }

    /**
     * Opens a session for the bundle's graph on the configured device and checks the graph against the card.
     *
     * @throws InvalidModelException when the graph cannot be loaded or disagrees with the card
     * @throws InferenceException    when CUDA is asked for, cannot be loaded, and CPU fallback is off
     */
    public static RecurrentModelRunner open(ModelBundle bundle, RunnerOptions options) {
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession session;
        String provider;
        try (OrtSession.SessionOptions sessionOptions = new OrtSession.SessionOptions()) {
            sessionOptions.setIntraOpNumThreads(options.intraOpThreads());
            sessionOptions.setInterOpNumThreads(1);
            sessionOptions.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            sessionOptions.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // A spinning ORT worker would compete with the stream thread for the same cores.
            sessionOptions.addConfigEntry("session.intra_op.allow_spinning", "0");
            provider = addExecutionProvider(sessionOptions, options);
            session = environment.createSession(bundle.onnxModel(), sessionOptions);
        } catch (OrtException e) {
            throw new InvalidModelException(bundle.modelFile() + ": ONNX Runtime cannot load the graph: "
                    + e.getMessage(), e);
        }
        try {
            GraphBinding binding = GraphBinding.resolve(bundle, shapes(bundle, session.getInputInfo()),
                    shapes(bundle, session.getOutputInfo()));
            return new RecurrentModelRunner(bundle, environment, session, binding, provider);
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session, e);
            if (e instanceof InvalidModelException invalid) {
                throw invalid;
            }
            throw new InvalidModelException(bundle.modelFile() + ": cannot read the graph's signature: " + e, e);
        }
    }

    /**
     * Adds the CUDA execution provider when asked for. ORT throws when the provider's library or CUDA itself
     * cannot be loaded; then either fall back to CPU with one warning, or stop with a message that says how.
     *
     * @return the provider the session runs on, e.g. {@code CPU} or {@code CUDA:0}
     */
    private static String addExecutionProvider(OrtSession.SessionOptions sessionOptions, RunnerOptions options) {
        InferenceDevice device = options.device();
        if (!device.cuda()) {
            return "CPU";
        }
        try (OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(device.deviceId())) {
            for (Map.Entry<String, String> option : options.cudaOptions().entrySet()) {
                cuda.add(option.getKey(), option.getValue());
            }
            sessionOptions.addCUDA(cuda);
            return "CUDA:" + device.deviceId();
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            if (!options.fallbackToCpu()) {
                throw new InferenceException("carrycast.inference.device=" + device + " but ONNX Runtime's CUDA "
                        + "execution provider cannot be loaded (" + e.getMessage() + "). It needs the gpu build "
                        + "(mvn -Pgpu) and CUDA 12 with cuDNN 9 on this host; set "
                        + "carrycast.inference.device.fallback=cpu to run on CPU instead.", e);
            }
            LOG.warn("carrycast.inference.device={} requested, but the CUDA execution provider cannot be loaded ({}); "
                    + "running on CPU because carrycast.inference.device.fallback=cpu", device, e.getMessage());
            return "CPU";
        }
    }

    public ModelBundle bundle() {
        return bundle;
    }

    /** The execution provider the session runs on: {@code CPU} or {@code CUDA:N}. */
    public String provider() {
        return provider;
    }

    /** Floats one key carries per state tensor. */
    public int stateSizePerKey() {
        return stateSlices * hidden;
    }

    /** State tensors the graph carries between steps (0 for a window model without state inputs). */
    public int stateTensorCount() {
        return binding.state().size();
    }

    List<StatePair> statePairs() {
        return binding.state();
    }

    /**
     * Steps {@code batch} keys by one event each.
     *
     * @param features     {@code batch * F} normalised features
     * @param statesIn     one array per state tensor, {@code batch * S} floats each
     * @param forecastsOut receives {@code batch * horizon * targets} normalised forecasts
     * @param statesOut    one array per state tensor, receives {@code batch * S} floats each
     */
    public void step(int batch, float[] features, float[][] statesIn, float[] forecastsOut, float[][] statesOut) {
        stepSequence(batch, 1, features, statesIn, forecastsOut, statesOut);
    }

    /**
     * Runs {@code batch} windows of {@code length} events each from a zero state and returns the forecast
     * after each window's last event.
     *
     * @param windows   {@code batch * length * F} normalised features, oldest event first within each key
     * @param statesOut null, or one array per state tensor to receive each key's state after its window
     *                  (to re-prime a stateful model from stored history)
     */
    public void runWindows(int batch, int length, float[] windows, float[] forecastsOut, float[][] statesOut) {
        ensureOpen();
        Buffers scratch = buffers.get();
        Map<String, FloatBuffer> zeroStates = new HashMap<>();
        for (StatePair pair : binding.state()) {
            FloatBuffer zeros = scratch.get(pair.input(), batch * stateSizePerKey());
            zeros.put(new float[batch * stateSizePerKey()]).flip();
            zeroStates.put(pair.input(), zeros);
        }
        runSequence(scratch, batch, length, windows, zeroStates, forecastsOut, statesOut);
    }

    /**
     * Steps {@code batch} keys by {@code length} events each from the given states and returns the forecast
     * after each key's last event: {@link #step} over several events in one call.
     *
     * @param sequences {@code batch * length * F} normalised features, oldest event first within each key
     * @param statesIn  one array per state tensor, {@code batch * S} floats each
     */
    public void stepSequence(int batch, int length, float[] sequences, float[][] statesIn, float[] forecastsOut,
                             float[][] statesOut) {
        ensureOpen();
        Buffers scratch = buffers.get();
        Map<String, FloatBuffer> stateBuffers = new HashMap<>();
        for (int s = 0; s < binding.state().size(); s++) {
            String name = binding.state().get(s).input();
            stateBuffers.put(name, toGraphStateLayout(scratch.get(name, batch * stateSizePerKey()), statesIn[s], batch));
        }
        runSequence(scratch, batch, length, sequences, stateBuffers, forecastsOut, statesOut);
    }

    private void runSequence(Buffers scratch, int batch, int length, float[] sequences,
                             Map<String, FloatBuffer> stateBuffers, float[] forecastsOut, float[][] statesOut) {
        FloatBuffer input = scratch.get(binding.featureInput(), batch * length * featureCount);
        boolean batchMajor = bundle.card().tensors().layout() == TensorLayout.BATCH_MAJOR;
        // One time step: [1, B, F] and [B, 1, F] are the same bytes as the key-major array.
        if (batchMajor || length == 1) {
            input.put(sequences, 0, batch * length * featureCount);
        } else {
            for (int t = 0; t < length; t++) {
                for (int b = 0; b < batch; b++) {
                    input.put(sequences, (b * length + t) * featureCount, featureCount);
                }
            }
        }
        input.flip();
        long[] inputShape = batchMajor ? new long[] {batch, length, featureCount} : new long[] {length, batch, featureCount};
        run(batch, input, inputShape, stateBuffers, forecastsOut, length, statesOut);
    }

    private void run(int batch, FloatBuffer input, long[] inputShape, Map<String, FloatBuffer> stateBuffers,
                     float[] forecastsOut, int sequenceLength, float[][] statesOut) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            feeds.put(binding.featureInput(), OnnxTensor.createTensor(environment, input, inputShape));
            long[] stateShape = {stateSlices, batch, hidden};
            for (Map.Entry<String, FloatBuffer> state : stateBuffers.entrySet()) {
                feeds.put(state.getKey(), OnnxTensor.createTensor(environment, state.getValue(), stateShape));
            }
            try (OrtSession.Result result = session.run(feeds)) {
                readForecasts(result, batch, sequenceLength, forecastsOut);
                if (statesOut != null) {
                    for (int s = 0; s < binding.state().size(); s++) {
                        FloatBuffer graphState = tensor(result, binding.state().get(s).output()).getFloatBuffer();
                        fromGraphStateLayout(graphState, statesOut[s], batch);
                    }
                }
            }
        } catch (OrtException e) {
            throw new InferenceException(bundle.modelFile() + ": inference failed for a batch of " + batch
                    + ": " + e.getMessage(), e);
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    private void readForecasts(OrtSession.Result result, int batch, int sequenceLength, float[] forecastsOut) {
        FloatBuffer output = tensor(result, binding.forecastOutput()).getFloatBuffer();
        boolean lastStepOnly = binding.outputRank() == 3 && sequenceLength > 1;
        if (!lastStepOnly) {
            output.get(forecastsOut, 0, batch * outputCount);
        } else if (bundle.card().tensors().layout() == TensorLayout.TIME_MAJOR) {
            output.position((sequenceLength - 1) * batch * outputCount).get(forecastsOut, 0, batch * outputCount);
        } else {
            for (int b = 0; b < batch; b++) {
                output.position((b * sequenceLength + sequenceLength - 1) * outputCount)
                        .get(forecastsOut, b * outputCount, outputCount);
            }
        }
    }

    private OnnxTensor tensor(OrtSession.Result result, String name) {
        return (OnnxTensor) result.get(name).orElseThrow(() -> new IllegalStateException(
                bundle.modelFile() + ": graph returned no '" + name + "'"));
    }

    /** Key-major {@code [B][slices*H]} to the graph's {@code [slices, B, H]}. */
    private FloatBuffer toGraphStateLayout(FloatBuffer target, float[] keyMajor, int batch) {
        for (int slice = 0; slice < stateSlices; slice++) {
            for (int b = 0; b < batch; b++) {
                target.put(keyMajor, b * stateSizePerKey() + slice * hidden, hidden);
            }
        }
        return target.flip();
    }

    private void fromGraphStateLayout(FloatBuffer graphState, float[] keyMajor, int batch) {
        for (int slice = 0; slice < stateSlices; slice++) {
            for (int b = 0; b < batch; b++) {
                graphState.get(keyMajor, b * stateSizePerKey() + slice * hidden, hidden);
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("runner for " + bundle.modelFile() + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            session.close();
        } catch (OrtException e) {
            throw new InferenceException(bundle.modelFile() + ": closing the ONNX Runtime session failed", e);
        }
    }

    private static Map<String, TensorShape> shapes(ModelBundle bundle, Map<String, NodeInfo> nodes) {
        Map<String, TensorShape> shapes = new LinkedHashMap<>();
        for (NodeInfo node : nodes.values()) {
            if (!(node.getInfo() instanceof TensorInfo tensor)) {
                throw new InvalidModelException(bundle.modelFile() + ": graph value '" + node.getName()
                        + "' is not a tensor (" + node.getInfo() + "); carrycast feeds and reads float tensors");
            }
            shapes.put(node.getName(), new TensorShape(tensor.getShape()));
        }
        return shapes;
    }

    private static void closeQuietly(OrtSession session, Exception primary) {
        try {
            session.close();
        } catch (OrtException e) {
            primary.addSuppressed(e);
        }
    }

    /** Per-thread direct, native-order buffers, grown on demand; ORT reads them without a copy. */
    private static final class Buffers {
        private final Map<String, FloatBuffer> byTensor = new HashMap<>();

        FloatBuffer get(String tensor, int floats) {
            FloatBuffer buffer = byTensor.get(tensor);
            if (buffer == null || buffer.capacity() < floats) {
                buffer = ByteBuffer.allocateDirect(Integer.highestOneBit(Math.max(floats, 1)) * 2 * Float.BYTES)
                        .order(ByteOrder.nativeOrder()).asFloatBuffer();
                byTensor.put(tensor, buffer);
            }
            buffer.clear();
            return buffer;
        }
    }
}
