package io.carrycast.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.accuracy.AccuracyBoard;
import io.carrycast.accuracy.IntervalTally;
import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.forecast.Forecast;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.ForecastDriver;
import io.carrycast.testing.Forecasts;
import io.carrycast.testing.IntervalReference;
import io.carrycast.testing.Meters;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live scoring of the intervals in the topology: per target, step and level, the coverage, width and interval
 * (Winkler) score the accuracy board and the scores topic report equal those computed here from the published
 * forecasts' bounds and the events' actuals; every actual outside its forecast's 0.95 interval, and no other,
 * gives one anomaly record and one count.
 */
class IntervalScoringTest {

    private static final String SCORES = "scores";
    private static final String ANOMALIES = "anomalies";
    private static final String MODEL = "fixture-lstm_multi";
    private static final double LEVEL = 0.95;

    @TempDir
    Path stateDir;

    /** An actual due for a published bound: the forecast's key, target time, step, target and level. */
    private record Due(Forecast forecast, int step, String target, Forecast.Interval interval, double actual) {
        double lower() {
            return interval.lower().get(target);
        }

        double upper() {
            return interval.upper().get(target);
        }
    }

    @Test
    void shouldScoreCoverageWidthAndWinklerAndReportEachActualOutsideTheAnomalyLevel() throws Exception {
        List<Fixture.Event> events = new ArrayList<>(IntervalReference.load().events());
        events.sort(Comparator.comparingLong(Fixture.Event::timeMs)); // in order: every forecast is scored
        Map<String, String> settings = new HashMap<>(IntervalReference.SETTINGS);
        settings.put("carrycast.scoring.topic", SCORES);
        settings.put("carrycast.intervals.anomaly.topic", ANOMALIES);
        List<Forecast> forecasts;
        List<Score> scores = new ArrayList<>();
        List<JsonNode> anomalies = new ArrayList<>();
        AccuracyBoard board;
        double anomalyCount;
        try (ForecastDriver driver = ForecastDriver.open(Fixture.load(IntervalReference.MODEL).directory(), stateDir,
                settings)) {
            TestOutputTopic<String, byte[]> scoreTopic = driver.driver().createOutputTopic(SCORES,
                    new StringDeserializer(), new ByteArrayDeserializer());
            TestOutputTopic<String, byte[]> anomalyTopic = driver.driver().createOutputTopic(ANOMALIES,
                    new StringDeserializer(), new ByteArrayDeserializer());
            driver.send(events);
            forecasts = Forecasts.values(driver.forecasts());
            scoreTopic.readRecordsToList().forEach(record -> scores.add(ScoreJson.read(record.value())));
            ObjectMapper json = new ObjectMapper();
            for (var record : anomalyTopic.readRecordsToList()) {
                anomalies.add(json.readTree(record.value()));
            }
            board = driver.metrics().accuracy();
            anomalyCount = Meters.count(driver.registry(), "carrycast.anomalies");
        }

        List<Due> due = due(events, forecasts);
        Map<String, IntervalTally> expected = new TreeMap<>();
        List<Due> outside = new ArrayList<>();
        for (Due value : due) {
            Score.Range range = new Score.Range(value.interval().level(), value.lower(), value.upper());
            expected.merge(value.target() + "/" + value.step() + "/" + range.level(),
                    IntervalTally.EMPTY.add(range, value.actual()), (sum, one) -> sum.add(range, value.actual()));
            if (range.level() == LEVEL && !range.covers(value.actual())) {
                outside.add(value);
            }
        }
        assertBoardEquals(expected, board);
        long rangesOnTopic = scores.stream().mapToLong(score -> score.ranges().size()).sum();
        assertEquals(due.size(), rangesOnTopic, "the scores topic carries every scored value's intervals");
        assertTrue(outside.size() > 10, "the noisy key's actuals leave the 0.95 interval: " + outside.size());
        assertEquals(outside.size(), anomalies.size(), "one anomaly record per actual outside");
        assertEquals(outside.size(), anomalyCount, 0.0, "counted");
        assertAnomaly(outside.get(0), anomalies);
    }

    /**
     * With late events, an anomaly is judged against the forecast as first published, the one kept waiting: the
     * revised forecasts a correction publishes are not scored, and a late event is no actual.
     */
    @Test
    void shouldJudgeAnomaliesAgainstTheForecastsAsFirstPublishedWhenLateEventsReviseThem() {
        List<Fixture.Event> events = IntervalReference.load().events();
        Map<String, String> settings = new HashMap<>(IntervalReference.SETTINGS);
        settings.put("carrycast.intervals.anomaly.topic", ANOMALIES);
        List<Forecast> forecasts;
        List<String> anomalies = new ArrayList<>();
        try (ForecastDriver driver = ForecastDriver.open(Fixture.load(IntervalReference.MODEL).directory(), stateDir,
                settings)) {
            TestOutputTopic<String, byte[]> anomalyTopic = driver.driver().createOutputTopic(ANOMALIES,
                    new StringDeserializer(), new ByteArrayDeserializer());
            driver.send(events);
            forecasts = Forecasts.values(driver.forecasts());
            anomalyTopic.readRecordsToList().forEach(record -> anomalies.add(record.key() + "@" + record.timestamp()));
        }

        Map<String, Long> latest = new HashMap<>();
        List<Fixture.Event> inOrder = new ArrayList<>();
        for (Fixture.Event event : events) {
            if (event.timeMs() > latest.getOrDefault(event.key(), Long.MIN_VALUE)) {
                latest.put(event.key(), event.timeMs());
                inOrder.add(event);
            }
        }
        assertEquals(2, events.size() - inOrder.size(), "two late events");
        java.util.Set<String> steppedInOrder = new java.util.HashSet<>();
        inOrder.forEach(event -> steppedInOrder.add(event.key() + "@" + event.timeMs()));
        List<Forecast> firstPublished = forecasts.stream().filter(forecast -> forecast.revision() == 0
                && steppedInOrder.contains(forecast.key() + "@" + forecast.eventTimeMs())).toList();
        assertEquals(360 - 2, firstPublished.size());
        List<String> expected = new ArrayList<>();
        for (Due value : due(inOrder, firstPublished)) {
            if (value.interval().level() == LEVEL
                    && (value.actual() < value.lower() || value.actual() > value.upper())) {
                expected.add(value.forecast().key() + "@"
                        + value.forecast().points().get(value.step() - 1).targetTimeMs());
            }
        }
        java.util.Collections.sort(expected);
        java.util.Collections.sort(anomalies);
        assertTrue(expected.size() > 10, String.valueOf(expected.size()));
        assertEquals(expected, anomalies);
    }

    /** The board's interval tallies per target, step and level equal those computed from the published bounds. */
    private static void assertBoardEquals(Map<String, IntervalTally> expected, AccuracyBoard board) {
        for (String target : IntervalReference.TARGETS) {
            for (int step = 1; step <= 3; step++) {
                Map<Double, IntervalTally> live = board.row(MODEL, "1", target, step).intervals();
                for (double level : List.of(0.8, LEVEL)) {
                    IntervalTally want = expected.get(target + "/" + step + "/" + level);
                    IntervalTally got = live.get(level);
                    String what = target + " step " + step + " level " + level;
                    assertEquals(want.count(), got.count(), what + ": values with an interval");
                    assertEquals(want.covered(), got.covered(), what + ": actuals inside");
                    // Summed in another order than the stream's: equal to 1e-12 of the sum.
                    assertEquals(want.widthSum(), got.widthSum(), 1e-12 * want.widthSum(), what + ": width sum");
                    assertEquals(want.winklerSum(), got.winklerSum(), 1e-12 * want.winklerSum(),
                            what + ": interval score sum");
                }
            }
        }
    }

    /** The anomaly record of one actual outside: its bounds and how far outside, in half-widths. */
    private static void assertAnomaly(Due value, List<JsonNode> anomalies) {
        long time = value.forecast().points().get(value.step() - 1).targetTimeMs();
        JsonNode record = anomalies.stream().filter(a -> a.get("key").textValue().equals(value.forecast().key())
                && Instant.parse(a.get("time").textValue()).toEpochMilli() == time
                && a.get("target").textValue().equals(value.target()) && a.get("step").intValue() == value.step())
                .findFirst().orElseThrow();
        double half = (value.upper() - value.lower()) / 2;
        double beyond = value.actual() > value.upper() ? (value.actual() - value.upper()) / half
                : -(value.lower() - value.actual()) / half;
        assertEquals(value.actual(), record.get("actual").doubleValue(), 0.0);
        assertEquals(value.forecast().points().get(value.step() - 1).values().get(value.target()),
                record.get("forecast").doubleValue(), 0.0);
        assertEquals(value.lower(), record.get("lower").doubleValue(), 0.0);
        assertEquals(value.upper(), record.get("upper").doubleValue(), 0.0);
        assertEquals(LEVEL, record.get("level").doubleValue(), 0.0);
        assertEquals(beyond, record.get("outside").doubleValue(), 1e-12);
    }

    /** Every published bound with an actual at its target time, from the events as sent. */
    private static List<Due> due(List<Fixture.Event> events, List<Forecast> forecasts) {
        Map<String, Fixture.Event> byKeyAndTime = new HashMap<>();
        events.forEach(event -> byKeyAndTime.put(event.key() + "@" + event.timeMs(), event));
        List<Due> due = new ArrayList<>();
        for (Forecast forecast : forecasts) {
            for (Forecast.Point point : forecast.points()) {
                Fixture.Event actual = byKeyAndTime.get(forecast.key() + "@" + point.targetTimeMs());
                if (actual == null) {
                    continue;
                }
                for (Forecast.Interval interval : point.intervals()) {
                    for (String target : IntervalReference.TARGETS) {
                        if (interval.lower().get(target) != null) {
                            due.add(new Due(forecast, point.step(), target, interval,
                                    actual.value().get(target).doubleValue()));
                        }
                    }
                }
            }
        }
        return due;
    }
}
