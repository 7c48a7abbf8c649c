package io.carrycast.forecast;

import io.carrycast.bundle.InvalidModelException;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model being served, replaceable while running. {@link #reloadIfChanged} (called periodically by
 * the application) loads the bundle directory again when its files change; a bundle that fails to load or
 * to match its card is refused with one log line and the current model keeps serving. Owns every runner
 * it opened: a replaced runner stays open for a grace period, since a stream thread may be mid-call on it,
 * and is closed by a later reload check or by {@link #close}.
 */
public final class LiveModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LiveModel.class);
    private static final Duration RETIRE_GRACE = Duration.ofSeconds(60);

    private final Path directory;
    private final RunnerOptions options;
    private final Consumer<Forecaster> onSwap;
    private final List<Retired> retired = new ArrayList<>();
    private volatile Forecaster current;
    private String loadedSignature;
    private String refusedSignature;

    private record Retired(RecurrentModelRunner runner, long retiredAtNanos) {
    }

    private LiveModel(Path directory, RunnerOptions options, Consumer<Forecaster> onSwap, Forecaster first,
                      String signature) {
        this.directory = directory;
        this.options = options;
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
        String signature = signature(directory);
        LiveModel live = new LiveModel(directory, options, onSwap, load(directory, options), signature);
        onSwap.accept(live.current);
        return live;
    }

    /** A fixed model that is never reloaded, for tests and tools. */
    public static LiveModel fixed(RecurrentModelRunner runner) {
        return new LiveModel(runner.bundle().directory(), null, f -> { }, new Forecaster(runner), null);
    }

    public Forecaster current() {
        return current;
    }

    /** Loads the bundle again if its files changed since the last load; @return whether the model changed. */
    public synchronized boolean reloadIfChanged() {
        closeRetired(false);
        if (options == null) {
            return false;
        }
        String signature = signature(directory);
        if (signature.equals(loadedSignature) || signature.equals(refusedSignature)) {
            return false;
        }
        Forecaster next;
        try {
            next = load(directory, options);
        } catch (InvalidModelException e) {
            refusedSignature = signature;
            LOG.error("New model in {} refused, still serving {} version {}: {}", directory,
                    current.card().name(), current.card().version(), e.getMessage());
            return false;
        }
        Forecaster previous = current;
        current = next;
        loadedSignature = signature;
        retired.add(new Retired(previous.runner(), System.nanoTime()));
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

    private static Forecaster load(Path directory, RunnerOptions options) {
        return new Forecaster(RecurrentModelRunner.open(ModelBundle.load(directory), options));
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

    private void closeRetired(boolean all) {
        for (Iterator<Retired> it = retired.iterator(); it.hasNext(); ) {
            Retired old = it.next();
            if (all || System.nanoTime() - old.retiredAtNanos() > RETIRE_GRACE.toNanos()) {
                old.runner().close();
                it.remove();
            }
        }
    }

    @Override
    public synchronized void close() {
        closeRetired(true);
        current.runner().close();
    }
}
