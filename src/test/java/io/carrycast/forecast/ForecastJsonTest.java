package io.carrycast.forecast;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ForecastJsonTest {

    /** Jackson's own generator writing the documented format: the reference for the hand-written writer. */
    private static final JsonMapper JACKSON = JsonMapper.builder().enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();

    private static final String[] AWKWARD_TEXT = {"", "Seattle", "São Paulo", "東京", "sensor \"7\"", "back\\slash",
        "tab\tnew\nline\rcarriage", "\b\f\u0000\u001f\u007f", "emoji 🌧️ rain", "slash/ok"};
    private static final double[] AWKWARD_NUMBERS = {0.0, -0.0, 1.0, -1.5, 9.84, 1e-300, -1e300, Double.MIN_VALUE,
        Double.MAX_VALUE, 0.1 + 0.2, 2.0e-3, 123456789.125, Double.NaN, Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY, 3.4028234663852886E38};
    private static final long[] AWKWARD_TIMES = {0L, 1L, -1L, 999L, -86_400_000L, 1_425_168_000_000L,
        1_425_168_000_123L, 951_782_400_000L /* 2000-02-29 */, 253_402_300_799_999L /* 9999-12-31T23:59:59.999 */,
        253_402_300_800_000L /* year 10000 */, -62_167_219_200_000L /* 0000-01-01 */, -62_167_219_200_001L,
        -1_000_000_000_000L, 4_102_444_800_000L};

    @Test
    void shouldWriteTheSameBytesAsJacksonForAwkwardKeysNumbersAndTimes() throws java.io.IOException {
        Random random = new Random(42);
        int comparedByBytes = 0;
        for (int i = 0; i < 5_000; i++) {
            Forecast forecast = randomForecast(random);
            if (hasSupplementaryCharacters(forecast)) {
                // Jackson's generator escapes characters beyond U+FFFF as surrogate pairs (\uD83C\uDF27); the
                // writer keeps them as UTF-8. The same JSON value in other bytes.
                assertEquals(JACKSON.readTree(jackson(forecast)), JACKSON.readTree(ForecastJson.write(forecast)));
                continue;
            }
            assertArrayEquals(jackson(forecast), ForecastJson.write(forecast),
                    () -> "for " + forecast + ":\n" + new String(jackson(forecast), StandardCharsets.UTF_8) + "\n"
                            + new String(ForecastJson.write(forecast), StandardCharsets.UTF_8));
            comparedByBytes++;
        }
        assertTrue(comparedByBytes > 1_000, comparedByBytes + " of 5000 compared byte for byte");
    }

    @Test
    void shouldReadBackWhatItWrites() {
        Forecast forecast = new Forecast("Seattle", 1_425_168_000_000L, "weather-lstm", "1", "stateful", 1156,
                Forecast.REPRIMED_AFTER_GAP, List.of(new Forecast.Point(1, 1_425_254_400_000L,
                        Map.of("temp_max", 9.84)), new Forecast.Point(2, 1_425_340_800_500L, Map.of("temp_max", -0.25))));
        assertEquals(forecast, ForecastJson.read(ForecastJson.write(forecast)));
        assertEquals("{\"key\":\"Seattle\",\"event_time\":\"2015-03-01T00:00:00Z\",\"model\":{\"name\":\"weather-lstm\","
                + "\"version\":\"1\"},\"mode\":\"stateful\",\"steps_seen\":1156,\"state_note\":\"reprimed_after_gap\","
                + "\"forecast\":[{\"step\":1,\"target_time\":\"2015-03-02T00:00:00Z\",\"values\":{\"temp_max\":9.84}},"
                + "{\"step\":2,\"target_time\":\"2015-03-03T00:00:00.500Z\",\"values\":{\"temp_max\":-0.25}}]}",
                new String(ForecastJson.write(forecast), StandardCharsets.UTF_8));
    }

    @Test
    void shouldWriteTheRevisionOnlyForACorrectedForecast() {
        Forecast first = new Forecast("Seattle", 1_425_168_000_000L, "weather-lstm", "1", "stateful", 1156, null,
                List.of(new Forecast.Point(1, 1_425_254_400_000L, Map.of("temp_max", 9.84))));
        Forecast corrected = first.withRevision(2);

        assertEquals(corrected, ForecastJson.read(ForecastJson.write(corrected)));
        assertEquals(0, ForecastJson.read(ForecastJson.write(first)).revision());
        assertEquals("{\"key\":\"Seattle\",\"event_time\":\"2015-03-01T00:00:00Z\",\"model\":{\"name\":\"weather-lstm\","
                + "\"version\":\"1\"},\"mode\":\"stateful\",\"steps_seen\":1156,\"revision\":2,"
                + "\"forecast\":[{\"step\":1,\"target_time\":\"2015-03-02T00:00:00Z\",\"values\":{\"temp_max\":9.84}}]}",
                new String(ForecastJson.write(corrected), StandardCharsets.UTF_8));
        assertEquals(-1, new String(ForecastJson.write(first), StandardCharsets.UTF_8).indexOf("revision"));
    }

    @Test
    void shouldMarkOnlyTheStepsThatCameFromRollout() {
        Forecast forecast = new Forecast("Seattle", 1_425_168_000_000L, "weather-lstm", "1", "stateful", 1156, null,
                List.of(new Forecast.Point(1, 1_425_254_400_000L, Map.of("temp_max", 9.84)),
                        new Forecast.Point(2, 1_425_340_800_000L, Map.of("temp_max", 10.5), true)));
        assertEquals(forecast, ForecastJson.read(ForecastJson.write(forecast)));
        assertEquals("{\"key\":\"Seattle\",\"event_time\":\"2015-03-01T00:00:00Z\",\"model\":{\"name\":\"weather-lstm\","
                + "\"version\":\"1\"},\"mode\":\"stateful\",\"steps_seen\":1156,"
                + "\"forecast\":[{\"step\":1,\"target_time\":\"2015-03-02T00:00:00Z\",\"values\":{\"temp_max\":9.84}},"
                + "{\"step\":2,\"target_time\":\"2015-03-03T00:00:00Z\",\"rollout\":true,\"values\":{\"temp_max\":10.5}}]}",
                new String(ForecastJson.write(forecast), StandardCharsets.UTF_8));
    }

    @Test
    void shouldSayWhatAResampledBucketHeld() {
        Forecast forecast = new Forecast("Seattle", 1_425_168_000_000L, "weather-lstm", "1", "stateful", 12, null,
                List.of(new Forecast.Point(1, 1_425_254_400_000L, Map.of("temp_max", 9.84))), 0,
                new Forecast.Bucket(4, 2));
        assertEquals(forecast, ForecastJson.read(ForecastJson.write(forecast)));
        assertEquals("{\"key\":\"Seattle\",\"event_time\":\"2015-03-01T00:00:00Z\",\"model\":{\"name\":\"weather-lstm\","
                + "\"version\":\"1\"},\"mode\":\"stateful\",\"steps_seen\":12,\"bucket\":{\"events\":4,\"filled_before\":2},"
                + "\"forecast\":[{\"step\":1,\"target_time\":\"2015-03-02T00:00:00Z\",\"values\":{\"temp_max\":9.84}}]}",
                new String(ForecastJson.write(forecast), StandardCharsets.UTF_8));
    }

    private static boolean hasSupplementaryCharacters(Forecast forecast) {
        return Stream.concat(Stream.of(forecast.key(), forecast.modelName(), forecast.modelVersion()),
                        forecast.points().stream().flatMap(point -> point.values().keySet().stream()))
                .anyMatch(text -> text.codePoints().anyMatch(Character::isSupplementaryCodePoint));
    }

    private static Forecast randomForecast(Random random) {
        List<Forecast.Point> points = new ArrayList<>();
        int horizon = random.nextInt(4);
        for (int step = 1; step <= horizon; step++) {
            Map<String, Double> values = new LinkedHashMap<>();
            int targets = 1 + random.nextInt(3);
            for (int t = 0; t < targets; t++) {
                values.put(text(random) + t, random.nextBoolean() ? pick(random, AWKWARD_NUMBERS)
                        : random.nextGaussian() * Math.pow(10, random.nextInt(12) - 6));
            }
            points.add(new Forecast.Point(step, time(random), values, step > 1 && random.nextBoolean()));
        }
        return new Forecast(text(random), time(random), text(random), text(random),
                random.nextBoolean() ? "stateful" : "window", random.nextBoolean() ? random.nextInt(10_000) : random.nextLong(),
                random.nextInt(4) == 0 ? Forecast.RESET_AFTER_GAP : null, points,
                random.nextInt(3) == 0 ? random.nextInt(1_000) : 0,
                random.nextInt(3) == 0 ? new Forecast.Bucket(random.nextInt(1000), random.nextInt(50)) : null);
    }

    private static String text(Random random) {
        if (random.nextBoolean()) {
            return AWKWARD_TEXT[random.nextInt(AWKWARD_TEXT.length)];
        }
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(12); i > 0; i--) {
            text.appendCodePoint(switch (random.nextInt(4)) {
                case 0 -> random.nextInt(0x20);
                case 1 -> 0x20 + random.nextInt(0x60);
                case 2 -> 0x80 + random.nextInt(0x7F80);
                default -> random.nextInt(4) == 0 ? 0x10000 + random.nextInt(0x10000) : 0x80 + random.nextInt(0x80);
            });
        }
        return text.toString();
    }

    private static long time(Random random) {
        return switch (random.nextInt(3)) {
            case 0 -> AWKWARD_TIMES[random.nextInt(AWKWARD_TIMES.length)];
            case 1 -> 1_400_000_000_000L + (long) (random.nextDouble() * 400_000_000_000L);
            default -> (long) ((random.nextDouble() - 0.5) * 600_000_000_000_000L);
        };
    }

    private static double pick(Random random, double[] values) {
        return values[random.nextInt(values.length)];
    }

    private static byte[] jackson(Forecast forecast) {
        ObjectNode root = JACKSON.createObjectNode();
        root.put("key", forecast.key());
        root.put("event_time", Instant.ofEpochMilli(forecast.eventTimeMs()).toString());
        root.putObject("model").put("name", forecast.modelName()).put("version", forecast.modelVersion());
        root.put("mode", forecast.mode());
        root.put("steps_seen", forecast.stepsSeen());
        if (forecast.revision() > 0) {
            root.put("revision", forecast.revision());
        }
        if (forecast.stateNote() != null) {
            root.put("state_note", forecast.stateNote());
        }
        if (forecast.bucket() != null) {
            root.putObject("bucket").put("events", forecast.bucket().events())
                    .put("filled_before", forecast.bucket().filledBefore());
        }
        var points = root.putArray("forecast");
        for (Forecast.Point point : forecast.points()) {
            ObjectNode node = points.addObject();
            node.put("step", point.step());
            node.put("target_time", Instant.ofEpochMilli(point.targetTimeMs()).toString());
            if (point.rollout()) {
                node.put("rollout", true);
            }
            ObjectNode values = node.putObject("values");
            point.values().forEach(values::put);
        }
        try {
            return JACKSON.writeValueAsBytes(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shouldWriteAndReadEachPointsIntervalsWithNullBoundsWhereThereAreTooFewErrors() {
        Map<String, Double> lower = new java.util.LinkedHashMap<>();
        lower.put("temp_max", 7.9);
        lower.put("wind", null);
        Map<String, Double> upper = new java.util.LinkedHashMap<>();
        upper.put("temp_max", 11.8);
        upper.put("wind", null);
        Map<String, Double> none = new java.util.LinkedHashMap<>();
        none.put("temp_max", null);
        none.put("wind", null);
        Forecast forecast = new Forecast("Seattle", 1_425_168_000_000L, "weather-lstm", "1", "stateful", 3, null,
                List.of(new Forecast.Point(1, 1_425_254_400_000L, Map.of("temp_max", 9.84), false,
                        List.of(new Forecast.Interval(0.8, lower, upper), new Forecast.Interval(0.95, none, none)))));

        String json = new String(ForecastJson.write(forecast), java.nio.charset.StandardCharsets.UTF_8);

        assertEquals("{\"key\":\"Seattle\",\"event_time\":\"2015-03-01T00:00:00Z\",\"model\":{\"name\":"
                + "\"weather-lstm\",\"version\":\"1\"},\"mode\":\"stateful\",\"steps_seen\":3,\"forecast\":[{\"step\":1,"
                + "\"target_time\":\"2015-03-02T00:00:00Z\",\"values\":{\"temp_max\":9.84},\"intervals\":["
                + "{\"level\":0.8,\"lower\":{\"temp_max\":7.9,\"wind\":null},\"upper\":{\"temp_max\":11.8,\"wind\":null}},"
                + "{\"level\":0.95,\"lower\":{\"temp_max\":null,\"wind\":null},\"upper\":{\"temp_max\":null,"
                + "\"wind\":null}}]}]}", json);
        assertEquals(forecast, ForecastJson.read(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
