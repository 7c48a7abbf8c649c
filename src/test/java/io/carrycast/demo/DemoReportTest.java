package io.carrycast.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.backtest.EventFile;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.ModelCardParser;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.TimestampFormat;
import java.awt.image.BufferedImage;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.DoubleSummaryStatistics;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo chart's y-axis covers everything the panel plots, observed and forecast, with room to spare at
 * both ends and ticks on round numbers.
 */
class DemoReportTest {

    private static final ModelCard CARD = ModelCardParser.parse(Path.of("config/models/weather-lstm/model.json"));
    private static final long FROM = Instant.parse("2015-01-01T00:00:00Z").toEpochMilli();
    private static final long UNTIL = Instant.parse("2016-01-01T00:00:00Z").toEpochMilli();
    private static final long DAY = Duration.ofDays(1).toMillis();
    private static final TimestampFormat ISO = TimestampFormat.of("iso");

    @TempDir
    Path dir;

    @Test
    void shouldLeaveRoomAboveSummerPeaksThatFallOnATick() throws Exception {
        // Both cities' 2015 highs peak at exactly 35.0 °C (Seattle on 19 July); forecasts that repeat each day's
        // value keep the extremes the observed ones.
        List<ObjectNode> events = EventFile.read(weatherCsv());
        DemoReport report = report(events, forecasts(events, temperature -> temperature));

        assertEquals(new ValueAxis(0, 40, 5), report.valueAxis("Seattle").orElseThrow());
        assertEquals(new ValueAxis(-10, 40, 5), report.valueAxis("New York").orElseThrow());
        assertCovers(report, "Seattle", observed(events, "Seattle"));
        assertCovers(report, "New York", observed(events, "New York"));
    }

    @Test
    void shouldFitTheAxisToForecastsBeyondTheObservedRange() throws Exception {
        List<ObjectNode> events = EventFile.read(weatherCsv());
        // A forecast 6.3 °C above the hottest day and one 7.2 °C below the coldest.
        DemoReport report = report(events, forecasts(events, temperature ->
                temperature == 35.0 ? 41.3 : temperature == -6.0 ? -13.2 : temperature));

        assertEquals(new ValueAxis(0, 45, 5), report.valueAxis("Seattle").orElseThrow());
        assertEquals(new ValueAxis(-15, 45, 5), report.valueAxis("New York").orElseThrow());
    }

    @Test
    void shouldDrawNoLineOnThePlotFrame() throws Exception {
        List<ObjectNode> events = EventFile.read(weatherCsv());
        Path png = report(events, forecasts(events, temperature -> temperature)).writePng(dir.resolve("report.png"));

        BufferedImage image = ImageIO.read(png.toFile());
        assertEquals(1200, image.getWidth());
        assertEquals(2 * 360, image.getHeight());
        // Each panel's plot frame runs from 40 to 320 pixels below the panel's top and from x = 60 to 1180; a
        // value at either end of the axis would be drawn over the frame's top or bottom edge.
        for (int panel = 0; panel < 2; panel++) {
            for (int y : new int[] {panel * 360 + 40, panel * 360 + 320}) {
                int frame = image.getRGB(70, y);
                for (int x = 70; x < 1170; x++) {
                    assertEquals(Integer.toHexString(frame), Integer.toHexString(image.getRGB(x, y)),
                            "pixel (" + x + ", " + y + ") of the frame's edge");
                }
            }
        }
    }

    @Test
    void shouldPlaceTicksOnRoundNumbersAroundTheValues() {
        assertEquals(new ValueAxis(-20, 120, 20), ValueAxis.covering(-3.2, 118));
        assertEquals(List.of(-20.0, 0.0, 20.0, 40.0, 60.0, 80.0, 100.0, 120.0),
                ValueAxis.covering(-3.2, 118).ticks());
        assertEquals(new ValueAxis(0.1, 1.0, 0.1), ValueAxis.covering(0.13, 0.91));
        assertEquals(List.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0), ValueAxis.covering(0.13, 0.91).ticks());
        assertEquals("0.3", ValueAxis.covering(0.13, 0.91).label(0.30000000000000004));
        assertEquals("-20", ValueAxis.covering(-3.2, 118).label(-20));
    }

    @Test
    void shouldGiveRoomOnBothSidesOfASingleValue() {
        assertEquals(new ValueAxis(18, 22, 2), ValueAxis.covering(20, 20));
        assertEquals(new ValueAxis(-0.1, 0.1, 0.1), ValueAxis.covering(0, 0));
    }

    private static void assertCovers(DemoReport report, String city, DoubleSummaryStatistics values) {
        ValueAxis axis = report.valueAxis(city).orElseThrow();
        assertTrue(axis.low() < values.getMin() && values.getMax() < axis.high(),
                city + ": " + axis + " for values from " + values.getMin() + " to " + values.getMax());
    }

    private static DemoReport report(List<ObjectNode> events, List<Forecast> forecasts) {
        return DemoReport.of(CARD, events, forecasts, List.of(), List.of(), List.of(), List.of(), FROM, UNTIL);
    }

    /** One next-day forecast per event, of the event's own temp_max passed through {@code value}. */
    private static List<Forecast> forecasts(List<ObjectNode> events, ToDoubleFunction<Double> value) {
        List<Forecast> forecasts = new ArrayList<>();
        for (ObjectNode event : events) {
            long time = ISO.parse(event.get("date").asText());
            double forecast = value.applyAsDouble(event.get("temp_max").asDouble());
            forecasts.add(new Forecast(event.get("location").asText(), time, "weather-lstm", "1", "stateful", 1, null,
                    List.of(new Forecast.Point(1, time + DAY, Map.of("temp_max", forecast)))));
        }
        return forecasts;
    }

    private static DoubleSummaryStatistics observed(List<ObjectNode> events, String city) {
        return events.stream().filter(e -> e.get("location").asText().equals(city))
                .filter(e -> ISO.parse(e.get("date").asText()) >= FROM && ISO.parse(e.get("date").asText()) < UNTIL)
                .mapToDouble(e -> e.get("temp_max").asDouble()).summaryStatistics();
    }

    private static Path weatherCsv() throws URISyntaxException {
        return Path.of(DemoReport.class.getResource("/demo/weather.csv").toURI());
    }
}
