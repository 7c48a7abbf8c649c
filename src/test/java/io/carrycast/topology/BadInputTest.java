package io.carrycast.topology;

import static io.carrycast.testing.DeadLetters.header;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.carrycast.forecast.Forecast;
import io.carrycast.state.KeyState;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Meters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every unusable event goes to the dead-letter topic with its reason, the key's state is untouched (the
 * next good event continues as if the bad one never came), and the stream keeps running.
 */
class BadInputTest {

    private static final String KEY = "sensor-a";

    @TempDir
    Path stateDir;

    static Stream<Arguments> badEvents() {
        return Stream.of(
                Arguments.of("not JSON", KEY, "{level: oops", "not_json"),
                Arguments.of("JSON that is not an object", KEY, "[1, 2, 3]", "not_object"),
                Arguments.of("missing feature", KEY, "{\"time\":\"2024-03-30T21:01:30Z\",\"level\":1,\"flow\":2}",
                        "missing_feature"),
                Arguments.of("feature not a number", KEY,
                        "{\"time\":\"2024-03-30T21:01:30Z\",\"level\":1,\"flow\":\"high\",\"pressure\":3}", "not_a_number"),
                Arguments.of("NaN", KEY, "{\"time\":\"2024-03-30T21:01:30Z\",\"level\":NaN,\"flow\":2,\"pressure\":3}",
                        "not_finite"),
                Arguments.of("Infinity as a string", KEY,
                        "{\"time\":\"2024-03-30T21:01:30Z\",\"level\":\"-Infinity\",\"flow\":2,\"pressure\":3}", "not_finite"),
                Arguments.of("missing timestamp", KEY, "{\"level\":1,\"flow\":2,\"pressure\":3}", "bad_timestamp"),
                Arguments.of("unparsable timestamp", KEY,
                        "{\"time\":\"yesterday\",\"level\":1,\"flow\":2,\"pressure\":3}", "bad_timestamp"),
                Arguments.of("null key", null, "{\"time\":\"2024-03-30T21:01:30Z\",\"level\":1,\"flow\":2,\"pressure\":3}",
                        "no_key"),
                Arguments.of("empty key", "", "{\"time\":\"2024-03-30T21:01:30Z\",\"level\":1,\"flow\":2,\"pressure\":3}",
                        "no_key"),
                Arguments.of("over the size limit", KEY, "{\"time\":\"2024-03-30T21:01:30Z\",\"level\":1,\"flow\":2,"
                        + "\"pressure\":3,\"note\":\"" + "x".repeat(300) + "\"}", "too_large"),
                Arguments.of("key over the size limit", "k".repeat(150),
                        "{\"time\":\"2024-03-30T21:01:30Z\",\"level\":1,\"flow\":2,\"pressure\":3}", "too_large"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badEvents")
    void shouldDeadLetterTheEventWithItsReasonAndLeaveTheKeysStateAlone(String name, String key, String value,
                                                                       String reason) {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> good = fixture.events(KEY).subList(0, 2);
        byte[] bad = value.getBytes(StandardCharsets.UTF_8);
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir,
                Map.of("carrycast.event.max.bytes", "200"))) {
            driver.send(good.get(0));
            driver.sendRaw(key, bad, good.get(0).timeMs() + 1);
            driver.send(good.get(1));

            List<TestRecord<String, Forecast>> forecasts = driver.forecasts();
            assertEquals(2, forecasts.size(), "the stream kept running");
            assertEquals(2, forecasts.get(1).value().stepsSeen(), "the bad event was not stepped");
            io.carrycast.testing.ForecastAssertions.assertMatches(fixture.expectedOutputs(KEY).get(1),
                    forecasts.get(1).value(), fixture.card(), fixture.tolerance(), "second good event");

            List<TestRecord<String, byte[]>> deadLetters = driver.deadLetters();
            assertEquals(1, deadLetters.size());
            TestRecord<String, byte[]> deadLetter = deadLetters.get(0);
            assertArrayEquals(bad, deadLetter.value(), "the original value, untouched");
            assertEquals(reason, header(deadLetter, "carrycast.reason"));
            assertNotNull(header(deadLetter, "__streams.errors.message"));
            assertEquals(1.0, Meters.count(driver.registry(), "carrycast.events.dead.lettered", "reason", reason));
            assertEquals(3.0, Meters.count(driver.registry(), "carrycast.events.in"),
                    "every event read counts, the refused one too");
        }
    }

    @Test
    void shouldDeadLetterAnEventWhoseStateAnIncompatibleModelWrote() {
        Fixture fixture = Fixture.load("lstm");
        List<Fixture.Event> events = fixture.events(KEY);
        try (ForecastDriver driver = ForecastDriver.open(fixture.directory(), stateDir, Map.of())) {
            // State as a 1-tensor, 32-unit model would have left it; the lstm fixture keeps no window.
            driver.driver().<String, byte[]>getKeyValueStore(ForecastTopology.STATE_STORE)
                    .put(KEY, new KeyState(42L, 5, events.get(0).timeMs() - 1, 0L, new float[1][32]).encode());

            driver.send(events.get(0));

            assertEquals(0, driver.forecasts().size());
            TestRecord<String, byte[]> deadLetter = driver.deadLetters().get(0);
            assertEquals("incompatible_state", header(deadLetter, "carrycast.reason"));
            assertEquals(5, KeyState.decode(driver.driver().<String, byte[]>getKeyValueStore(
                    ForecastTopology.STATE_STORE).get(KEY)).steps(), "state left as it was");
        }
    }
}
