package io.carrycast.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.IntervalTally;
import io.carrycast.accuracy.PinballTally;
import io.carrycast.backtest.Evaluation;
import io.carrycast.backtest.EventFile;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.TimestampFormat;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.DoubleSummaryStatistics;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo chart's y-axis covers everything the panel plots, observed, forecast and the forecast's interval
 * bands, with room to spare at both ends and ticks on round numbers; the bands are shaded where their bounds are
 * known and leave gaps where they are not; the page lists coverage and width per city and step, and the
 * anomalies.
 */
class DemoReportTest {

    private static final ModelCard CARD = ModelBundle.load(Path.of("config/models/weather-lstm")).card();
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
    void shouldFitTheAxisToTheIntervalBandsAroundTheForecast() {
        // A calm city at 10 °C every day, forecast exactly, with a 95 % interval from 0 to 20: without its bands
        // the axis would run from 9 to 11.
        DemoReport report = report(calmYear(), calmForecasts(0));

        assertEquals(new ValueAxis(-2, 22, 2), report.valueAxis("Calm").orElseThrow());
    }

    @Test
    void shouldShadeBothBandsAroundTheNextDayForecastAndLeaveGapsWhereBoundsAreNull() throws Exception {
        // The 95 % bounds are null for the first 20 target days (too few errors yet), the 80 % ones for 3.
        BufferedImage image = ImageIO.read(report(calmYear(), calmForecasts(20)).writePng(dir.resolve("report.png"))
                .toFile());
        int outer = DemoReport.bandColor(1, 2).getRGB();
        int inner = DemoReport.bandColor(0, 2).getRGB();
        assertEquals(new Color(221, 235, 244).getRGB(), outer, "95 %: the forecast's blue, paled to 15 %");
        assertEquals(new Color(177, 207, 229).getRGB(), inner, "80 %: paled to 35 %");

        // Axis from -2 to 22 over the plot's 280 pixels from y = 40, 1 January at x = 60 and 31 December at 1180.
        int july = x(181);
        assertEquals(hex(outer), hex(image.getRGB(july, y(17.5))), "inside 95 %, outside 80 %");
        assertEquals(hex(outer), hex(image.getRGB(july, y(2.5))), "below the 80 % band");
        assertEquals(hex(inner), hex(image.getRGB(july, y(12.5))), "inside 80 %");
        assertEquals(hex(inner), hex(image.getRGB(july, y(7.5))), "inside 80 %, below the forecast");
        assertEquals(hex(Color.WHITE.getRGB()), hex(image.getRGB(july, y(21))), "above the 95 % band");
        int tenthOfJanuary = x(9);
        assertEquals(hex(Color.WHITE.getRGB()), hex(image.getRGB(tenthOfJanuary, y(17.5))), "no 95 % bounds yet");
        assertEquals(hex(inner), hex(image.getRGB(tenthOfJanuary, y(12.5))), "80 % bounds from the 4th day on");
    }

    @Test
    void shouldListCoverageAndWidthPerCityAndStepAndTheAnomalies() throws Exception {
        Map<Double, IntervalTally> intervals = Map.of(
                0.8, new IntervalTally(365, 292, 365 * 6.5, 365 * 9.0),
                0.95, new IntervalTally(365, 347, 365 * 10.125, 365 * 12.0));
        List<Evaluation.Score> steps = List.of(new Evaluation.Score("Seattle", "temp_max", 1, 365, 2.1, 2.7, 2.2, 2.9,
                intervals, PinballTally.EMPTY), new Evaluation.Score("Seattle", "temp_max", 2, 365, 2.5, 3.1, 2.8, 3.5,
                intervals, PinballTally.EMPTY));
        DemoReport report = DemoReport.of(CARD, calmYear(), calmForecasts(0), new DemoReport.Scores(steps.subList(0, 1),
                steps, List.of(), List.of(), List.of(new Demo.AnomalyCount("Seattle", 30, 18, 95),
                new Demo.AnomalyCount("New York", 41, 17, 120))), FROM, UNTIL);

        String html = Files.readString(report.writeHtml(dir.resolve("report.html")));
        assertTrue(html.contains("<th>n 80 %</th><th>coverage 80 % (%)</th><th>mean width 80 %</th>"
                + "<th>n 95 %</th><th>coverage 95 % (%)</th><th>mean width 95 %</th>"), html);
        // 292 / 365 = 80.0 %, 347 / 365 = 95.07 %.
        assertTrue(html.contains("<tr><td>Seattle</td><td>2</td><td>365</td><td>80.0</td><td>6.50</td>"
                + "<td>365</td><td>95.1</td><td>10.13</td></tr>"), html);
        assertTrue(html.contains("<tr><td>Seattle</td><td>30</td><td>18</td><td>95</td></tr>"), html);
        assertTrue(html.contains("<tr><td>total</td><td>71</td><td>35</td><td>215</td></tr>"), html);
        assertTrue(html.contains("its 80 % and 95 % intervals as published"), "the chart's caption");
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
        return DemoReport.of(CARD, events, forecasts, DemoReport.Scores.NONE, FROM, UNTIL);
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

    /** 10 °C every day from 31 December 2014 to 31 December 2015 in a city called Calm. */
    private static List<ObjectNode> calmYear() {
        List<ObjectNode> events = new ArrayList<>();
        for (long time = FROM - DAY; time < UNTIL; time += DAY) {
            events.add(JsonNodeFactory.instance.objectNode().put("location", "Calm")
                    .put("date", Instant.ofEpochMilli(time).toString().substring(0, 10)).put("temp_max", 10.0));
        }
        return events;
    }

    /**
     * Calm's next-day forecasts of 10 °C with an 80 % interval from 5 to 15 and a 95 % one from 0 to 20, the 95 %
     * bounds null for the first {@code without95} target days of 2015 and the 80 % ones for the first 3 of them.
     */
    private static List<Forecast> calmForecasts(int without95) {
        List<Forecast> forecasts = new ArrayList<>();
        for (long time = FROM - DAY; time < UNTIL - DAY; time += DAY) {
            long day = (time + DAY - FROM) / DAY;
            forecasts.add(new Forecast("Calm", time, "weather-lstm", "1", "stateful", 1, null, List.of(
                    new Forecast.Point(1, time + DAY, Map.of("temp_max", 10.0), false, List.of(
                            interval(0.8, day < Math.min(3, without95) ? null : 5.0, 15.0),
                            interval(0.95, day < without95 ? null : 0.0, 20.0))))));
        }
        return forecasts;
    }

    /** An interval whose bounds are both null when {@code lower} is. */
    private static Forecast.Interval interval(double level, Double lower, double upper) {
        return new Forecast.Interval(level, Collections.singletonMap("temp_max", lower),
                Collections.singletonMap("temp_max", lower == null ? null : upper));
    }

    /** The pixel column of the scored year's day {@code day} (0 is 1 January 2015). */
    private static int x(int day) {
        return 60 + (int) Math.round(day / 364.0 * 1120);
    }

    /** The pixel row of {@code value} on the calm city's axis from -2 to 22. */
    private static int y(double value) {
        return 40 + 280 - (int) Math.round((value + 2) / 24 * 280);
    }

    private static String hex(int rgb) {
        return Integer.toHexString(rgb);
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
