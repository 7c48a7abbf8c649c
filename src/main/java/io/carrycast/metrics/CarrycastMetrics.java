package io.carrycast.metrics;

import io.carrycast.accuracy.AccuracyBoard;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * carrycast's own meters. One instance per application, shared by every stream thread (Micrometer meters
 * are thread-safe). Kafka Streams' client metrics are bound to the same registry by the application.
 */
public final class CarrycastMetrics {

    /** Key under which the application hands this object to Kafka Streams-created handlers. */
    public static final String CONFIG_KEY = "carrycast.internal.metrics";

    private final MeterRegistry registry;
    private final Counter eventsIn;
    private final Counter forecastsOut;
    private final Counter duplicates;
    /** Per route ("" for a deployment without routes), its model calls' meters, registered at its first call. */
    private final Map<String, ModelCalls> modelCalls = new ConcurrentHashMap<>();
    private final Timer forecastLag;
    private final DistributionSummary correctionReplays;
    private final Map<String, Counter> deadLettered = new ConcurrentHashMap<>();
    private final Map<String, Counter> stateRebuilds = new ConcurrentHashMap<>();
    private final Map<List<String>, Counter> recordsDropped = new ConcurrentHashMap<>();
    private final Map<String, Counter> challengerFailures = new ConcurrentHashMap<>();
    private final AccuracyBoard accuracy;

    public CarrycastMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.accuracy = new AccuracyBoard(registry, AccuracyBoard.DEFAULT_WINDOW, System::currentTimeMillis);
        this.eventsIn = Counter.builder("carrycast.events.in")
                .description("Events read from the input topic, those dead-lettered included")
                .register(registry);
        this.forecastsOut = Counter.builder("carrycast.forecasts.out").description("Forecasts written")
                .register(registry);
        this.duplicates = Counter.builder("carrycast.events.duplicate")
                .description("Exact redeliveries dropped: of a key's last event, or with lateness allowed "
                        + "of any event its history holds").register(registry);
        this.forecastLag = Timer.builder("carrycast.forecast.lag")
                .description("Wall clock at forecast minus the event's time: end-to-end lag behind the source")
                .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(1),
                        Duration.ofSeconds(10), Duration.ofMinutes(1))
                .register(registry);
        this.correctionReplays = DistributionSummary.builder("carrycast.corrections.replayed")
                .description("Late events corrected (count), and events stepped again per correction, the late one "
                        + "included").serviceLevelObjectives(1, 4, 16, 64, 256).register(registry);
    }

    /** Meters recorded nowhere that matters, for tests and tools that do not serve metrics. */
    public static CarrycastMetrics detached() {
        return new CarrycastMetrics(new SimpleMeterRegistry());
    }

    /** The live accuracy tallies, per model, target and step. */
    public AccuracyBoard accuracy() {
        return accuracy;
    }

    /** Counts a challenger failure by kind ({@code bundle}, {@code inference}, {@code event_<reason>}). */
    public void challengerFailure(String kind) {
        challengerFailures.computeIfAbsent(kind, k -> Counter.builder("carrycast.challenger.failures")
                .description("Challenger failures, kept away from the live model's forecasts").tag("kind", k)
                .register(registry)).increment();
    }

    public void eventIn() {
        eventsIn.increment();
    }

    public void forecastOut(long eventTimeMs) {
        forecastsOut.increment();
        forecastLag.record(Math.max(0, System.currentTimeMillis() - eventTimeMs), TimeUnit.MILLISECONDS);
    }

    public void duplicate() {
        duplicates.increment();
    }

    /** A late event was inserted and {@code replayedEvents} events (the late one included) stepped again. */
    public void correction(int replayedEvents) {
        correctionReplays.record(replayedEvents);
    }

    /** One route's model calls: the events stepped per call and each call's duration. */
    public static final class ModelCalls {
        private final DistributionSummary batchSize;
        private final Timer latency;

        private ModelCalls(MeterRegistry registry, String route) {
            DistributionSummary.Builder batch = DistributionSummary.builder("carrycast.batch.size")
                    .description("Events stepped per model call").serviceLevelObjectives(1, 4, 16, 64, 256, 1024);
            Timer.Builder call = Timer.builder("carrycast.inference.latency").description("One model call")
                    .serviceLevelObjectives(Duration.ofNanos(20_000), Duration.ofNanos(100_000), Duration.ofMillis(1),
                            Duration.ofMillis(10), Duration.ofMillis(100));
            if (route != null) {
                batch.tag("route", route);
                call.tag("route", route);
            }
            this.batchSize = batch.register(registry);
            this.latency = call.register(registry);
        }

        public void record(int events, long nanos) {
            batchSize.record(events);
            latency.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The meters of one route's model calls, tagged {@code route}; for {@code route} null (a deployment without
     * routes) untagged, as {@link #modelServed(String, String, String, String)}. Looked up once per engine.
     */
    public ModelCalls modelCalls(String route) {
        return modelCalls.computeIfAbsent(route == null ? "" : route, r -> new ModelCalls(registry, route));
    }

    /**
     * The count of events handed to one route's model (a deployment with routes), looked up once per route and
     * processor rather than per event.
     */
    public Counter routed(String route) {
        return Counter.builder("carrycast.events.routed").description("Events handed to each route's model")
                .tag("route", route).register(registry);
    }

    /** Counts an event sent to the dead-letter topic, by reason label. */
    public void deadLettered(String reason) {
        deadLettered.computeIfAbsent(reason, r -> Counter.builder("carrycast.events.dead.lettered")
                .description("Events sent to the dead-letter topic").tag("reason", r).register(registry)).increment();
    }

    /**
     * Counts a record the producer could not write and that was skipped (a dead letter, or a record over the
     * producer's size limit), by topic and error.
     */
    public void recordDropped(String topic, Exception error) {
        String errorName = error.getClass().getSimpleName();
        recordsDropped.computeIfAbsent(List.of(topic, errorName), k -> Counter.builder("carrycast.records.dropped")
                .description("Records carrycast could not write and skipped (dead letters, records over max.request.size)")
                .tag("topic", topic).tag("error", errorName).register(registry)).increment();
    }

    /** Counts a state reset or rebuild, by kind (a {@link io.carrycast.state.StatePreparation}). */
    public void stateRebuilt(Enum<?> kind) {
        String label = kind.name().toLowerCase(Locale.ROOT);
        stateRebuilds.computeIfAbsent(label, k -> Counter.builder("carrycast.state.rebuilds")
                .description("Key states reset or rebuilt before a step").tag("kind", k).register(registry)).increment();
    }

    /** Per route ("" for a deployment without routes), the gauge naming the model it serves. */
    private final Map<String, io.micrometer.core.instrument.Gauge> modelInfo = new java.util.HashMap<>();

    /** Names the model being served: {@code carrycast.model.info{name,version,fingerprint,provider} = 1}. */
    public void modelServed(String name, String version, String fingerprint, String provider) {
        modelServed(null, name, version, fingerprint, provider);
    }

    /**
     * Names the model a route serves, with a {@code route} tag; for {@code route} null (no routes), as
     * {@link #modelServed(String, String, String, String)}.
     */
    public synchronized void modelServed(String route, String name, String version, String fingerprint,
                                         String provider) {
        io.micrometer.core.instrument.Gauge before = modelInfo.remove(route == null ? "" : route);
        if (before != null) {
            registry.remove(before);
        }
        io.micrometer.core.instrument.Gauge.Builder<?> gauge = io.micrometer.core.instrument.Gauge
                .builder("carrycast.model.info", () -> 1).description("The model being served").tag("name", name)
                .tag("version", version).tag("fingerprint", fingerprint).tag("provider", provider);
        if (route != null) {
            gauge.tag("route", route);
        }
        modelInfo.put(route == null ? "" : route, gauge.register(registry));
    }
}
