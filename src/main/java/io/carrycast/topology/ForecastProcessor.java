package io.carrycast.topology;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.FeatureExtractor;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.InvalidEventException;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.state.FeatureWindow;
import io.carrycast.state.KeyState;
import java.util.List;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Forecasts per event: reads the key's state (and window) from RocksDB, steps the model once, stores
 * the new state and forwards the forecast with the event time as its timestamp. An event that cannot be
 * used raises {@link InvalidEventException} before anything is stored, so the key's state and window are
 * untouched and the configured processing exception handler routes the event to the dead-letter topic.
 */
final class ForecastProcessor implements Processor<String, byte[], String, Forecast> {

    private final Forecaster forecaster;
    private final EventReader reader;
    private final FeatureExtractor extractor;
    private final boolean keepsWindow;
    private ProcessorContext<String, Forecast> context;
    private KeyValueStore<String, byte[]> stateStore;
    private KeyValueStore<String, byte[]> windowStore;

    ForecastProcessor(Forecaster forecaster, EventReader reader) {
        this.forecaster = forecaster;
        this.reader = reader;
        this.extractor = new FeatureExtractor(forecaster.card());
        this.keepsWindow = forecaster.card().keepsWindow();
    }

    @Override
    public void init(ProcessorContext<String, Forecast> context) {
        this.context = context;
        this.stateStore = context.getStateStore(ForecastTopology.STATE_STORE);
        this.windowStore = keepsWindow ? context.getStateStore(ForecastTopology.WINDOW_STORE) : null;
    }

    @Override
    public void process(Record<String, byte[]> record) {
        String key = record.key();
        if (key == null || key.isEmpty()) {
            throw new InvalidEventException(Reason.NO_KEY, "event has " + (key == null ? "no" : "an empty")
                    + " record key; the record key is the series id");
        }
        ObjectNode event = reader.parse(record.value());
        long eventTime = reader.eventTime(event, record.timestamp());
        float[] features = extractor.extract(event, eventTime);
        KeyState state = storedState(key);
        if (state != null && eventTime <= state.lastEventTimeMs()) {
            throw new InvalidEventException(Reason.LATE, "event time " + java.time.Instant.ofEpochMilli(eventTime)
                    + " of key '" + key + "' is not after its last stepped event "
                    + java.time.Instant.ofEpochMilli(state.lastEventTimeMs()));
        }
        FeatureWindow window = keepsWindow ? storedWindow(key) : null;

        Forecaster.Outcome outcome = forecaster.process(
                List.of(new Forecaster.Request(key, eventTime, features, state, window))).get(0);

        stateStore.put(key, outcome.state().encode());
        if (outcome.window() != null) {
            windowStore.put(key, outcome.window().encode());
        }
        if (outcome.forecast() != null) {
            context.forward(new Record<>(key, outcome.forecast(), eventTime, record.headers()));
        }
    }

    private KeyState storedState(String key) {
        byte[] bytes = stateStore.get(key);
        if (bytes == null) {
            return null;
        }
        KeyState state = KeyState.decode(bytes);
        if (!forecaster.fitsState(state)) {
            throw new InvalidEventException(Reason.INCOMPATIBLE_STATE, "stored state of key '" + key
                    + "' was written by model " + Long.toHexString(state.modelFingerprint()) + " with "
                    + state.tensors().length + " tensor(s) of " + (state.tensors().length == 0 ? 0
                    : state.tensors()[0].length) + " floats, which the current model cannot continue");
        }
        return state;
    }

    private FeatureWindow storedWindow(String key) {
        byte[] bytes = windowStore.get(key);
        return bytes == null ? null : FeatureWindow.decode(bytes);
    }
}
