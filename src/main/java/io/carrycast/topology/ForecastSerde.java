package io.carrycast.topology;

import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.ForecastJson;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** Forecasts on the output topic, as {@link ForecastJson} writes them. */
public final class ForecastSerde implements Serde<Forecast> {

    @Override
    public Serializer<Forecast> serializer() {
        return (topic, forecast) -> forecast == null ? null : ForecastJson.write(forecast);
    }

    @Override
    public Deserializer<Forecast> deserializer() {
        return (topic, bytes) -> bytes == null ? null : ForecastJson.read(bytes);
    }
}
