package io.carrycast.topology;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import io.carrycast.engine.ForecastEngine;
import io.carrycast.engine.KeyRecords;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.metrics.CarrycastMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Applies what the {@link ForecastEngine} returns: forwards each forecast as its JSON ({@link ForecastJson}),
 * written once for the output topic and the latest-forecast store, then stores the keys' records and latest
 * forecasts. Forwarded first, so a failure in between repeats forecasts on the retry rather than losing them.
 * One model call's records and latest forecasts go in with one {@code putAll} per store: one pass through the
 * metered store layer per model call rather than per event.
 */
final class ForecastOutput {

    private final ProcessorContext<String, byte[]> context;
    private final KeyRecords records;
    /** Null when no latest forecast is kept. */
    private final KeyValueStore<String, byte[]> latestStore;
    private final CarrycastMetrics metrics;
    /** The {@link #ROUTE_HEADER} every forecast carries, or null without routes (no header). */
    private final Headers routeHeaders;

    /** The header naming a forecast's route, which routes it to the route's own topic when one is configured. */
    static final String ROUTE_HEADER = "carrycast.route";

    /** @param route the route whose forecasts these are, or null for a deployment without routes */
    ForecastOutput(ProcessorContext<String, byte[]> context, KeyRecords records,
                   KeyValueStore<String, byte[]> latestStore, CarrycastMetrics metrics, String route) {
        this.context = context;
        this.records = records;
        this.latestStore = latestStore;
        this.metrics = metrics;
        this.routeHeaders = route == null ? null
                : new RecordHeaders().add(ROUTE_HEADER, route.getBytes(StandardCharsets.UTF_8));
    }

    /** One model call's forecasts and records. */
    void stepped(ForecastEngine.Stepped stepped) {
        List<KeyValue<String, byte[]>> latest = new ArrayList<>(latestStore != null ? stepped.forecasts().size() : 0);
        for (Forecast forecast : stepped.forecasts()) {
            byte[] json = ForecastJson.write(forecast);
            if (latestStore != null) {
                latest.add(KeyValue.pair(forecast.key(), json));
            }
            forward(forecast, json);
        }
        if (!stepped.keys().isEmpty()) {
            records.putAll(stepped.keys(), stepped.records());
        }
        if (!latest.isEmpty()) {
            latestStore.putAll(latest);
        }
    }

    /** A correction's forecasts, the key's replayed record and its latest forecast; nothing for null. */
    void corrected(ForecastEngine.Corrected corrected) {
        if (corrected == null) {
            return;
        }
        for (Forecast forecast : corrected.correction().forecasts()) {
            forward(forecast, ForecastJson.write(forecast));
        }
        records.put(corrected.key(), corrected.record());
        Forecast latest = corrected.correction().latest();
        if (latestStore != null && latest != null) {
            latestStore.put(corrected.key(), ForecastJson.write(latest));
        }
    }

    private void forward(Forecast forecast, byte[] json) {
        context.forward(routeHeaders == null ? new Record<>(forecast.key(), json, forecast.eventTimeMs())
                : new Record<>(forecast.key(), json, forecast.eventTimeMs(), routeHeaders));
        metrics.forecastOut(forecast.eventTimeMs());
    }
}
