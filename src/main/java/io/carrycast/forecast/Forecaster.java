package io.carrycast.forecast;

import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.Mode;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import io.carrycast.state.StatePreparation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one event per key into that key's next state, window and forecast, for a batch of distinct keys
 * in one model call. Holds no per-key data itself: callers pass each key's stored state and window in and
 * store what comes out. Does not own the runner.
 *
 * <p>When the card has a rollout block, the forecast goes on past the horizon ({@link ForecastRollout}):
 * after the real step, on copies of the new states or windows, in further batched calls. The outcome's
 * state and window are the real step's only.
 */
public final class Forecaster {

    private final RecurrentModelRunner runner;
    private final ModelCard card;
    private final long fingerprint;
    private final int featureCount;
    private final int outputsPerForecast;
    private final String modeName;
    /** A quantile card's interval levels, ascending; empty for other cards. */
    private final double[] intervalLevels;
    /** Null when the card has no rollout block. */
    private final ForecastRollout rollout;

    public Forecaster(RecurrentModelRunner runner) {
        this.runner = runner;
        this.card = runner.bundle().card();
        this.fingerprint = runner.bundle().fingerprint();
        this.featureCount = card.features().size();
        this.outputsPerForecast = card.outputsPerForecast();
        this.modeName = card.mode().cardName();
        this.intervalLevels = card.intervalLevels();
        this.rollout = card.rollout() == null ? null : new ForecastRollout(runner, card);
    }

    public ModelCard card() {
        return card;
    }

    public RecurrentModelRunner runner() {
        return runner;
    }

    /** Whether a key's stored state has the tensor count and size this model steps. */
    public boolean fitsState(KeyState state) {
        float[][] tensors = state.tensors();
        int expectedSize = card.mode() == Mode.STATEFUL ? runner.stateSizePerKey() : 0;
        int expectedCount = card.mode() == Mode.STATEFUL ? runner.stateTensorCount() : 0;
        return tensors.length == expectedCount && (tensors.length == 0 || tensors[0].length == expectedSize);
    }

    /**
     * One event for one key.
     *
     * @param state       the key's stored state, or null for a key never seen
     * @param window      the key's stored window (before this event), or null for none yet
     * @param preparation what to do with the stored state before stepping
     */
    public record Request(String key, long eventTimeMs, float[] features, KeyState state, FeatureWindow window,
                          StatePreparation preparation) {
        public Request(String key, long eventTimeMs, float[] features, KeyState state, FeatureWindow window) {
            this(key, eventTimeMs, features, state, window, StatePreparation.CONTINUE);
        }
    }

    /**
     * @param window   the key's window after this event, or null when the card keeps none
     * @param forecast null until a window-mode key has a full window
     */
    public record Outcome(KeyState state, FeatureWindow window, Forecast forecast) {
    }

    /** Processes one event for each request; the requests' keys must be distinct. */
    public List<Outcome> process(List<Request> requests) {
        List<FeatureWindow> windows = new ArrayList<>(requests.size());
        for (Request request : requests) {
            windows.add(card.keepsWindow() ? windowOf(request).append(request.features()) : null);
        }
        return card.mode() == Mode.STATEFUL ? step(requests, windows) : runWindows(requests, windows);
    }

    private List<Outcome> step(List<Request> requests, List<FeatureWindow> windows) {
        int batch = requests.size();
        int stateSize = runner.stateSizePerKey();
        int tensors = runner.stateTensorCount();
        float[] features = new float[batch * featureCount];
        float[][] statesIn = new float[tensors][batch * stateSize];
        for (int b = 0; b < batch; b++) {
            Request request = requests.get(b);
            System.arraycopy(request.features(), 0, features, b * featureCount, featureCount);
            float[][] start = startingTensors(request);
            for (int s = 0; s < tensors && start != null; s++) {
                System.arraycopy(start[s], 0, statesIn[s], b * stateSize, stateSize);
            }
        }
        float[] forecasts = new float[batch * outputsPerForecast];
        float[][] statesOut = new float[tensors][batch * stateSize];
        runner.step(batch, features, statesIn, forecasts, statesOut);
        if (rollout != null) {
            long[] eventTimes = requests.stream().mapToLong(Request::eventTimeMs).toArray();
            forecasts = rollout.rollStateful(batch, eventTimes, features, forecasts, statesOut);
        }

        List<Outcome> outcomes = new ArrayList<>(batch);
        for (int b = 0; b < batch; b++) {
            Request request = requests.get(b);
            float[][] keyState = new float[tensors][];
            for (int s = 0; s < tensors; s++) {
                keyState[s] = Arrays.copyOfRange(statesOut[s], b * stateSize, (b + 1) * stateSize);
            }
            KeyState next = priorState(request).advance(fingerprint, request.eventTimeMs(),
                    KeyState.digest(request.eventTimeMs(), request.features()), keyState);
            outcomes.add(new Outcome(next, windows.get(b), forecast(request, next.steps(), forecasts, b)));
        }
        return outcomes;
    }

    /** The tensors a request steps from, or null for zeros. */
    private float[][] startingTensors(Request request) {
        return switch (request.preparation()) {
            case CONTINUE -> request.state() == null ? null : request.state().tensors();
            case RESET_AFTER_GAP, RESET_FOR_ROUTE -> null;
            case REPRIME_AFTER_GAP, REBUILD_FOR_MODEL -> prime(request.window());
        };
    }

    /** The state this model reaches over a stored window from a zero state; zeros for no window. */
    private float[][] prime(FeatureWindow window) {
        int tensors = runner.stateTensorCount();
        float[][] primed = new float[tensors][runner.stateSizePerKey()];
        // A window written under other features cannot be replayed through this model: start from zeros.
        if (window != null && window.size() > 0 && window.featureCount() == featureCount) {
            runner.runWindows(1, window.size(), window.values(), new float[outputsPerForecast], primed);
        }
        return primed;
    }

    private List<Outcome> runWindows(List<Request> requests, List<FeatureWindow> windows) {
        List<Integer> full = new ArrayList<>();
        for (int b = 0; b < requests.size(); b++) {
            if (windows.get(b).isFull()) {
                full.add(b);
            }
        }
        float[] forecasts = new float[full.size() * outputsPerForecast];
        if (!full.isEmpty()) {
            float[] input = new float[full.size() * card.window() * featureCount];
            for (int i = 0; i < full.size(); i++) {
                windows.get(full.get(i)).copyTo(input, i * card.window() * featureCount);
            }
            runner.runWindows(full.size(), card.window(), input, forecasts, null);
            if (rollout != null) {
                long[] eventTimes = new long[full.size()];
                float[] features = new float[full.size() * featureCount];
                for (int i = 0; i < full.size(); i++) {
                    Request request = requests.get(full.get(i));
                    eventTimes[i] = request.eventTimeMs();
                    System.arraycopy(request.features(), 0, features, i * featureCount, featureCount);
                }
                forecasts = rollout.rollWindows(full.size(), eventTimes, input, features, forecasts);
            }
        }
        List<Outcome> outcomes = new ArrayList<>(requests.size());
        for (int b = 0, row = 0; b < requests.size(); b++) {
            Request request = requests.get(b);
            KeyState next = priorState(request).advance(fingerprint, request.eventTimeMs(),
                    KeyState.digest(request.eventTimeMs(), request.features()), new float[0][]);
            Forecast forecast = windows.get(b).isFull() ? forecast(request, next.steps(), forecasts, row++) : null;
            outcomes.add(new Outcome(next, windows.get(b), forecast));
        }
        return outcomes;
    }

    private KeyState priorState(Request request) {
        return request.state() != null ? request.state()
                : KeyState.initial(fingerprint, runner.stateTensorCount(), runner.stateSizePerKey());
    }

    private FeatureWindow windowOf(Request request) {
        FeatureWindow window = request.window();
        if (window == null || window.featureCount() != featureCount) {
            return FeatureWindow.empty(featureCount, card.window());
        }
        return window.capacity() == card.window() ? window : window.withCapacity(card.window());
    }

    /**
     * @param outputs normalised forecasts, {@code forecastSteps * valuesPerStep} per row, step by step; a quantile
     *                card's point values are its medians and its intervals the pairs of its other quantiles
     */
    private Forecast forecast(Request request, long stepsSeen, float[] outputs, int row) {
        List<TargetSpec> targets = card.targets();
        int steps = card.forecastSteps();
        int perStep = card.valuesPerStep();
        List<Forecast.Point> points = new ArrayList<>(steps);
        long cadenceMs = card.cadence().toMillis();
        for (int step = 0; step < steps; step++) {
            int offset = (row * steps + step) * perStep;
            Map<String, Double> values = new LinkedHashMap<>();
            for (int t = 0; t < targets.size(); t++) {
                values.put(targets.get(t).field(), targets.get(t).denormalise(outputs[offset + card.pointIndex(t)]));
            }
            points.add(new Forecast.Point(step + 1, request.eventTimeMs() + (step + 1) * cadenceMs, values,
                    step >= card.horizon(), quantileIntervals(outputs, offset)));
        }
        return new Forecast(request.key(), request.eventTimeMs(), card.name(), card.version(), modeName, stepsSeen,
                noteFor(request.preparation()), points);
    }

    /**
     * A quantile card's intervals of one step, levels ascending: pair p's quantiles de-normalised as the lower and
     * upper bounds ({@link ModelCard#intervalLevels}). Empty for a card without quantiles.
     */
    private List<Forecast.Interval> quantileIntervals(float[] outputs, int offset) {
        double[] levels = intervalLevels;
        if (levels.length == 0) {
            return List.of();
        }
        List<TargetSpec> targets = card.targets();
        int quantiles = card.quantiles().size();
        List<Forecast.Interval> intervals = new ArrayList<>(levels.length);
        for (int p = 0; p < levels.length; p++) {
            Map<String, Double> lower = new LinkedHashMap<>();
            Map<String, Double> upper = new LinkedHashMap<>();
            for (int t = 0; t < targets.size(); t++) {
                int first = offset + t * quantiles;
                lower.put(targets.get(t).field(), targets.get(t).denormalise(outputs[first + levels.length - 1 - p]));
                upper.put(targets.get(t).field(), targets.get(t).denormalise(outputs[first + quantiles - levels.length
                        + p]));
            }
            intervals.add(new Forecast.Interval(levels[p], lower, upper));
        }
        return intervals;
    }

    private static String noteFor(StatePreparation preparation) {
        return switch (preparation) {
            case CONTINUE -> null;
            case RESET_AFTER_GAP -> Forecast.RESET_AFTER_GAP;
            case REPRIME_AFTER_GAP -> Forecast.REPRIMED_AFTER_GAP;
            case REBUILD_FOR_MODEL -> Forecast.REBUILT_FOR_MODEL;
            case RESET_FOR_ROUTE -> Forecast.RESET_FOR_ROUTE;
        };
    }
}
