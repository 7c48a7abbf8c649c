package io.carrycast.forecast;

import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import io.carrycast.state.PendingEvent;
import java.util.List;
import java.util.function.Supplier;

/**
 * One key's step, as every caller takes it: an event (or a resampled bucket) is admitted against the key's last
 * accepted one ({@link #admit}, the one place the {@link Admission} rules are asked), stepped by the
 * {@link Forecaster}, and published as its bucket's forecast when resampled (a filled empty bucket publishes none).
 * The engine ({@code io.carrycast.engine.ForecastEngine}) steps admitted events of many keys with one model call
 * ({@link #process}) and keeps each key's history for late events ({@link LateEvents#record}); the late-event
 * replay steps one key's event on its own ({@link #stepAlone}). Holds no per-key data.
 */
public final class KeyStep {

    /**
     * One stepped event or bucket.
     *
     * @param published the forecast the step publishes, or null for none
     */
    public record Stepped(Forecaster.Outcome outcome, Forecast published) {
    }

    private final Forecaster model;
    private final Admission admission;
    /** The card's buckets when it resamples, else null. */
    private final Resampler resampler;

    /** @param resampler the card's {@link Resampler} when it resamples, else null */
    public KeyStep(Forecaster model, Admission admission, Resampler resampler) {
        this.model = model;
        this.admission = admission;
        this.resampler = resampler;
    }

    /**
     * Checks one event (or bucket) of {@code key} against the key's last accepted one: its last waiting event
     * when one waits for its step, else the one its stored state stepped.
     *
     * @param waiting      the key's last event waiting for its step, or null when none waits
     * @param stepped      the key's stored state, or null for a key never stepped; read only when none waits
     * @param storedWindow reads the key's stored window; called only when a state must be rebuilt
     * @throws InvalidEventException as {@link Admission#admit} does
     */
    public Admission.Decision admit(String key, long timeMs, float[] features, PendingEvent waiting,
                                    KeyState stepped, Supplier<FeatureWindow> storedWindow) {
        return admission.admit(key, timeMs, features, waiting != null
                ? Admission.LastAccepted.waiting(waiting.eventTimeMs(), waiting.features())
                : Admission.LastAccepted.stepped(stepped), storedWindow);
    }

    /**
     * Admits one event or bucket of a key against its state and steps it on its own, with one model call.
     *
     * @param state        the key's state, or null for a key never stepped
     * @param window       the key's window, or null
     * @param bucketEvents the events a resampled bucket held (0: a filled empty bucket);
     *                     {@link PendingEvent#NOT_A_BUCKET} for an event
     * @return the step, or null for an exact redelivery, dropped
     * @throws InvalidEventException as {@link Admission#admit} does
     */
    public Stepped stepAlone(String key, long timeMs, float[] features, KeyState state, FeatureWindow window,
                             int bucketEvents, int filledBefore) {
        Admission.Decision decision = admit(key, timeMs, features, null, state, () -> window);
        if (decision.redelivery()) {
            return null;
        }
        Forecaster.Request request = new Forecaster.Request(key, timeMs, features, state, window,
                decision.preparation());
        Forecaster.Outcome outcome = model.process(List.of(request)).get(0);
        return new Stepped(outcome, published(outcome.forecast(), bucketEvents, filledBefore));
    }

    /** Steps admitted events (or buckets) of distinct keys with one model call. */
    public List<Forecaster.Outcome> process(List<Forecaster.Request> requests) {
        return model.process(requests);
    }

    /**
     * The forecast a step publishes: an event's own; a bucket's says what the bucket held; a filled empty bucket
     * publishes none.
     *
     * @param forecast the model's forecast at the step, or null when it made none
     */
    public Forecast published(Forecast forecast, int bucketEvents, int filledBefore) {
        if (forecast == null || bucketEvents == PendingEvent.NOT_A_BUCKET) {
            return forecast;
        }
        return bucketEvents == 0 ? null : resampler.bucketForecast(forecast, bucketEvents, filledBefore);
    }
}
