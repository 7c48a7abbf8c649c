package io.carrycast.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.backtest.Backtest;
import io.carrycast.backtest.EventFile;
import io.carrycast.backtest.Evaluation;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The irregular weather demo: the daily rows exploded into readings, resampled back to days by the card, give
 * exactly the daily model's forecasts, value for value.
 */
class IrregularWeatherTest {

    private static final Path MODEL = Path.of("config/models/weather-lstm");

    @TempDir
    Path dir;

    @Test
    void shouldGiveTheDailyModelsForecastsExactlyFromTheReadingsResampledToDays() throws Exception {
        List<ObjectNode> days = new ArrayList<>(EventFile.read(weatherCsv()));
        days.sort(Comparator.comparing((ObjectNode e) -> e.get("date").asText())
                .thenComparing(e -> e.get("location").asText()));
        List<ObjectNode> readings = IrregularWeather.explode(days);
        Map<Integer, Long> daysByReadings = days.stream().collect(Collectors.groupingBy(
                day -> IrregularWeather.explodeDay(day).size(), Collectors.counting()));
        assertTrue(readings.size() > 2.5 * days.size(), readings.size() + " readings of " + days.size() + " days");
        assertTrue(daysByReadings.getOrDefault(1, 0L) < days.size() / 3, "days of one reading: " + daysByReadings);

        List<Forecast> daily = backtest(MODEL, days);
        List<Forecast> resampled = backtest(IrregularWeather.withResample(MODEL, dir.resolve("resampled")), readings);

        assertEquals(days.size(), daily.size());
        assertEquals(daily.size(), resampled.size());
        Map<String, List<Forecast>> resampledByKey = byKey(resampled);
        Map<String, List<Forecast>> dailyByKey = byKey(daily);
        for (String key : dailyByKey.keySet()) {
            List<Forecast> expected = dailyByKey.get(key);
            List<Forecast> actual = resampledByKey.get(key);
            for (int i = 0; i < expected.size(); i++) {
                Forecast resampledDay = actual.get(i);
                assertEquals(0, resampledDay.bucket().filledBefore());
                // Equal records: the same event time, steps seen and target times, and every value to the bit.
                assertEquals(expected.get(i).withBucket(resampledDay.bucket()), resampledDay, key + " day " + i);
            }
        }
    }

    private static List<Forecast> backtest(Path model, List<ObjectNode> events) {
        List<Forecast> forecasts = new ArrayList<>();
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(ModelBundle.load(model), RunnerOptions.defaults())) {
            Forecaster forecaster = new Forecaster(runner);
            Backtest.Result result = new Backtest(forecaster, new EventReader("date", TimestampFormat.of("iso"),
                    Integer.MAX_VALUE), "location", Admission.GapRule.NONE).run(events,
                    new Evaluation(forecaster.card(), t -> true), forecasts::add);
            assertEquals(0, result.refused(), () -> result.firstRefusals().toString());
        }
        return forecasts;
    }

    private static Map<String, List<Forecast>> byKey(List<Forecast> forecasts) {
        return forecasts.stream().collect(Collectors.groupingBy(Forecast::key, LinkedHashMap::new, Collectors.toList()));
    }

    private static Path weatherCsv() throws URISyntaxException {
        return Path.of(IrregularWeather.class.getResource("/demo/weather.csv").toURI());
    }
}
