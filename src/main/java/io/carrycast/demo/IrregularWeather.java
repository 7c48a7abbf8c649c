package io.carrycast.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.ModelBundle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The second demo: the daily weather rows exploded into irregular readings, which a card with a resample block
 * combines back into one step per day. Each day becomes 1 to 5 readings at distinct random minutes of the UTC
 * day (seeded by city and date, so the same every run), chosen so that the card's aggregates give back the
 * day's values exactly:
 * <ul>
 *   <li>{@code temp_max} ({@code max}): one reading holds the day's value, the others up to 3 degrees less;</li>
 *   <li>{@code temp_min} ({@code min}): one reading holds the day's value, the others up to 3 degrees more;</li>
 *   <li>{@code precipitation} ({@code sum}): the last two readings hold three quarters and the rest of the day's
 *       value, earlier readings 0;</li>
 *   <li>{@code wind} ({@code mean}): readings in pairs of the day's value plus and minus a random offset, and the
 *       day's value itself when their number is odd.</li>
 * </ul>
 * Where floating-point rounding would make an aggregate differ from the day's value in the last bit (a sum or
 * a mean of rounded parts), the day is drawn again, and after {@value #DRAWS} draws it becomes one reading of
 * the day's values.
 */
final class IrregularWeather {

    static final String KEY_FIELD = "location";
    static final String TIME_FIELD = "date";
    private static final int DRAWS = 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private IrregularWeather() {
    }

    /** The readings of every day, in time order (ties by city). */
    public static List<ObjectNode> explode(List<ObjectNode> days) {
        List<ObjectNode> readings = new ArrayList<>();
        for (ObjectNode day : days) {
            readings.addAll(explodeDay(day));
        }
        readings.sort(Comparator.comparing((ObjectNode e) -> e.get(TIME_FIELD).asText())
                .thenComparing(e -> e.get(KEY_FIELD).asText()));
        return readings;
    }

    /** The day's readings, in time order. */
    static List<ObjectNode> explodeDay(ObjectNode day) {
        String city = day.get(KEY_FIELD).asText();
        LocalDate date = LocalDate.parse(day.get(TIME_FIELD).asText());
        Random random = new Random(city.hashCode() * 31L + date.toEpochDay());
        double max = day.get("temp_max").asDouble();
        double min = day.get("temp_min").asDouble();
        double rain = day.get("precipitation").asDouble();
        double wind = day.get("wind").asDouble();
        for (int draw = 0; draw < DRAWS; draw++) {
            int k = 1 + random.nextInt(5);
            double[][] values = new double[k][4];
            int maxAt = random.nextInt(k);
            int minAt = random.nextInt(k);
            for (int i = 0; i < k; i++) {
                values[i][0] = i == maxAt ? max : max - tenths(random, 30);
                values[i][1] = i == minAt ? min : min + tenths(random, 30);
            }
            if (k == 1) {
                values[0][2] = rain;
            } else {
                values[k - 2][2] = rain * 0.75;
                values[k - 1][2] = rain - rain * 0.75;
            }
            for (int i = 0; i + 1 < k; i += 2) {
                double offset = Math.min(wind, tenths(random, 15));
                values[i][3] = wind + offset;
                values[i + 1][3] = wind - offset;
            }
            if (k % 2 == 1) {
                values[k - 1][3] = wind;
            }
            if (aggregatesMatch(values, max, min, rain, wind)) {
                return readings(day, city, date, values, random);
            }
        }
        return readings(day, city, date, new double[][] {{max, min, rain, wind}}, random);
    }

    private static double tenths(Random random, int most) {
        return (1 + random.nextInt(most)) / 10.0;
    }

    /** The card's aggregates over the readings in order, as the resampler computes them, equal the day's values. */
    private static boolean aggregatesMatch(double[][] values, double max, double min, double rain, double wind) {
        double highest = values[0][0];
        double lowest = values[0][1];
        double sum = values[0][2];
        double windSum = values[0][3];
        for (int i = 1; i < values.length; i++) {
            highest = Math.max(highest, values[i][0]);
            lowest = Math.min(lowest, values[i][1]);
            sum += values[i][2];
            windSum += values[i][3];
        }
        return highest == max && lowest == min && sum == rain && windSum / values.length == wind;
    }

    private static List<ObjectNode> readings(ObjectNode day, String city, LocalDate date, double[][] values,
                                             Random random) {
        long midnight = date.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        List<Integer> minutes = random.ints(0, 24 * 60).distinct().limit(values.length).sorted().boxed().toList();
        List<ObjectNode> readings = new ArrayList<>(values.length);
        for (int i = 0; i < values.length; i++) {
            ObjectNode reading = JSON.createObjectNode();
            reading.put(KEY_FIELD, city);
            reading.put(TIME_FIELD, Instant.ofEpochMilli(midnight + minutes.get(i) * 60_000L).toString());
            reading.put("temp_max", values[i][0]);
            reading.put("temp_min", values[i][1]);
            reading.put("precipitation", values[i][2]);
            reading.put("wind", values[i][3]);
            JsonNode weather = day.get("weather");
            if (weather != null) {
                reading.set("weather", weather);
            }
            readings.add(reading);
        }
        return readings;
    }

    /**
     * A copy of the daily model in {@code copyDir} whose card resamples its fields per day as the readings were
     * made: temp_max by max, temp_min by min, precipitation by sum, wind by mean; no empty days are filled.
     */
    public static Path withResample(Path model, Path copyDir) throws IOException {
        ObjectNode card = (ObjectNode) JSON.readTree(model.resolve(ModelBundle.CARD_FILE).toFile());
        ObjectNode resample = card.putObject("resample").put("default", "mean");
        resample.putObject("fields").put("temp_max", "max").put("temp_min", "min").put("precipitation", "sum")
                .put("wind", "mean");
        resample.put("empty", "skip");
        Files.createDirectories(copyDir);
        Files.copy(model.resolve(ModelBundle.MODEL_FILE), copyDir.resolve(ModelBundle.MODEL_FILE));
        Files.write(copyDir.resolve(ModelBundle.CARD_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(card));
        return copyDir;
    }
}
