package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.carrycast.config.CarrycastConfig;
import io.carrycast.metrics.CarrycastMetrics;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.junit.jupiter.api.Test;

/** What the topology adds to the configuration's Kafka Streams settings: its dead-letter wiring. */
class StreamsPropertiesTest {

    private static final Map<String, Object> BASE = Map.of("carrycast.model.dir", "models/x",
            "bootstrap.servers", "kafka:9092");

    @Test
    void shouldRouteProcessingErrorsThroughTheReasonHandlerCountingIntoTheSharedMetrics() {
        CarrycastMetrics metrics = CarrycastMetrics.detached();

        Properties streams = ForecastTopology.streamsProperties(CarrycastConfig.of(BASE), metrics);

        assertEquals(DeadLetterReasonHandler.class.getName(), streams.get("processing.exception.handler"));
        assertEquals(true, streams.get("processing.exception.handler.global.enabled"));
        assertEquals("carrycast-dead-letter", streams.get("errors.dead.letter.queue.topic.name"));
        assertSame(metrics, streams.get(CarrycastMetrics.CONFIG_KEY));
    }

    @Test
    void shouldKeepAProcessingHandlerTheUserNames() {
        Map<String, Object> settings = new java.util.HashMap<>(BASE);
        settings.put("processing.exception.handler", LogAndFailProcessingExceptionHandler.class.getName());

        Properties streams = ForecastTopology.streamsProperties(CarrycastConfig.of(settings),
                CarrycastMetrics.detached());

        assertEquals(LogAndFailProcessingExceptionHandler.class.getName(), streams.get("processing.exception.handler"));
    }
}
