package io.carrycast.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.carrycast.forecast.Forecast;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.test.TestRecord;

/** Forecast records read from the output topic, regrouped for comparison. */
public final class Forecasts {

    private Forecasts() {
    }

    /** The forecasts per key, each key's in the order written; checks each record's key is its forecast's. */
    public static Map<String, List<Forecast>> byKey(List<TestRecord<String, Forecast>> records) {
        Map<String, List<Forecast>> byKey = new LinkedHashMap<>();
        for (TestRecord<String, Forecast> record : records) {
            assertEquals(record.key(), record.value().key(), "record key is the forecast's key");
            byKey.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(record.value());
        }
        return byKey;
    }

    /** The forecasts in the order written. */
    public static List<Forecast> values(List<TestRecord<String, Forecast>> records) {
        return new ArrayList<>(records.stream().map(TestRecord::value).toList());
    }
}
