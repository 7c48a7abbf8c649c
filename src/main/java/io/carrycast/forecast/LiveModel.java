package io.carrycast.forecast;

import io.carrycast.bundle.InvalidModelException;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model being served, replaceable while running. {@link #reloadIfChanged} (called periodically by
 * the application) loads the bundle directory again when its files change; a bundle that fails to load or
 * to match its card is refused with one log line and the current model keeps serving. Owns every runner
 * it opened. Whoever calls a model holds it from {@link #acquire} to {@link #release}: a stream processor holds
 * the model it serves until it has stepped the events admitted under it and moved to the next. A replaced
 * runner is closed as soon as its last holder lets go (at once when none holds it), never while one does;
 * {@link #close} closes them all.
 */
public final class LiveModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LiveModel.class);

    private final Path directory;
    private final RunnerOptions options;
    /** Refuses a bundle this deployment cannot serve, at start and at every swap. */
    private final Consumer<ModelBundle> admission;
    private final Consumer<Forecaster> onSwap;
    /** How many holders each held model has. */
    private final Map<Forecaster, Integer> holders = new IdentityHashMap<>();
    /** Replaced models still held: each is closed when its last holder releases it. */
    private final Set<Forecaster> retired = Collections.newSetFromMap(new IdentityHashMap<>());
    private volatile Forecaster current;
    private String loadedSignature;
    private String refusedSignature;

    private LiveModel(Path directory, RunnerOptions options, Consumer<ModelBundle> admission,
                      Consumer<Forecaster> onSwap, Forecaster first, String signature) {
        this.directory = directory;
        this.options = options;
        this.admission = admission;
        this.onSwap = onSwap;
        this.current = first;
        this.loadedSignature = signature;
    }

    /**
     * Loads the bundle; fails with {@link InvalidModelException} if it cannot serve.
     *
     * @param onSwap told of the first model and of every replacement
     */
    public static LiveModel open(Path directory, RunnerOptions options, Consumer<Forecaster> onSwap) {
        return open(directory, options, bundle -> { }, onSwap);
    }

    /**
     * As {@link #open(Path, RunnerOptions, Consumer)}, refusing any bundle, the first or a replacement, that
     * {@code admission} throws {@link InvalidModelException} for.
     */
    public static LiveModel open(Path directory, RunnerOptions options, Consumer<ModelBundle> admission,
                                 Consumer<Forecaster> onSwap) {
        String signature = signature(directory);
        LiveModel live = new LiveModel(directory, options, admission, onSwap, load(directory, options, admission),
                signature);
        onSwap.accept(live.current);
        return live;
    }

    /** The model served now, to look at; to call it, {@link #acquire} it. */
    public Forecaster current() {
        return current;
    }

    /** The model served now, held open for the caller until it passes it to {@link #release}. */
    public synchronized Forecaster acquire() {
        holders.merge(current, 1, Integer::sum);
        return current;
    }

    /** Lets go of a model from {@link #acquire}; a replaced model is closed when its last holder lets go. */
    public synchronized void release(Forecaster forecaster) {
        if (holders.computeIfPresent(forecaster, (held, count) -> count == 1 ? null : count - 1) == null
                && retired.remove(forecaster)) {
            forecaster.runner().close();
        }
    }

    /** Loads the bundle again if its files changed since the last load; @return whether the model changed. */
    public synchronized boolean reloadIfChanged() {
        String signature = signature(directory);
        if (signature.equals(loadedSignature) || signature.equals(refusedSignature)) {
            return false;
        }
        Forecaster next;
        try {
            next = load(directory, options, admission);
        } catch (InvalidModelException e) {
            refusedSignature = signature;
            LOG.error("New model in {} refused, still serving {} version {}: {}", directory,
                    current.card().name(), current.card().version(), e.getMessage());
            return false;
        }
        Forecaster previous = current;
        current = next;
        loadedSignature = signature;
        if (holders.containsKey(previous)) {
            retired.add(previous);
        } else {
            previous.runner().close();
        }
        LOG.info("Now serving model {} version {} (was version {}); state layout {}", next.card().name(),
                next.card().version(), previous.card().version(),
                sameStateLayout(previous, next) ? "unchanged: keys keep their state"
                        : "changed: each key's state is rebuilt from its window on its next event");
        onSwap.accept(next);
        return true;
    }

    private static boolean sameStateLayout(Forecaster a, Forecaster b) {
        return a.runner().stateTensorCount() == b.runner().stateTensorCount()
                && a.runner().stateSizePerKey() == b.runner().stateSizePerKey();
    }

    private static Forecaster load(Path directory, RunnerOptions options, Consumer<ModelBundle> admission) {
        ModelBundle bundle = ModelBundle.load(directory);
        admission.accept(bundle);
        return new Forecaster(RecurrentModelRunner.open(bundle, options));
    }

    /** Sizes and modification times of the bundle's files: cheap to poll, changes when either is replaced. */
    private static String signature(Path directory) {
        StringBuilder signature = new StringBuilder();
        for (String file : List.of(ModelBundle.MODEL_FILE, ModelBundle.CARD_FILE)) {
            Path path = directory.resolve(file);
            try {
                signature.append(Files.size(path)).append('@').append(Files.getLastModifiedTime(path).toMillis())
                        .append(';');
            } catch (IOException e) {
                signature.append("missing;");
            }
        }
        return signature.toString();
    }

    @Override
    public synchronized void close() {
        retired.forEach(old -> old.runner().close());
        retired.clear();
        holders.clear();
        current.runner().close();
    }
}
