package io.carrycast.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.testing.Meters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AccuracyBoardTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicLong now = new AtomicLong(10_000_000L);
    private final AccuracyBoard board = new AccuracyBoard(registry, Duration.ofMinutes(60), now::get);

    private static Score score(double forecast, double actual, double persistence) {
        return new Score("k", 0, 1, 1, "load", forecast, actual, persistence, "m", "1");
    }

    @Test
    void shouldTallyMaeRmsePersistenceAndSkill() {
        board.scored(score(11, 10, 13)); // error 1, persistence 3
        board.scored(score(7, 10, 6)); //   error -3, persistence -4

        ErrorTally tally = board.row("m", "1", "load", 1).sinceStart();
        assertEquals(2, tally.count());
        assertEquals(2.0, tally.mae(), 0.0);
        assertEquals(Math.sqrt(5.0), tally.rmse(), 1e-15);
        assertEquals(3.5, tally.persistenceMae(), 0.0);
        assertEquals(1 - 4.0 / 7.0, tally.skill(), 1e-15);
        assertEquals(2.0, registry.get("carrycast.accuracy.scored").tag("model", "m").tag("version", "1")
                .tag("target", "load").tag("step", "1").counter().count(), 0.0);
        assertEquals(4.0, registry.get("carrycast.accuracy.abs.error").counter().count(), 0.0);
        assertEquals(10.0, registry.get("carrycast.accuracy.squared.error").counter().count(), 0.0);
        assertEquals(7.0, registry.get("carrycast.accuracy.persistence.abs.error").counter().count(), 0.0);
        assertEquals(25.0, registry.get("carrycast.accuracy.persistence.squared.error").counter().count(), 0.0);
    }

    @Test
    void shouldForgetScoresOlderThanTheWindowInTheRecentTallyOnly() {
        board.scored(score(11, 10, 13));
        now.addAndGet(Duration.ofMinutes(61).toMillis());
        board.scored(score(7, 10, 6));

        AccuracyBoard.Row row = board.row("m", "1", "load", 1);
        assertEquals(2, row.sinceStart().count());
        assertEquals(1, row.recent().count());
        assertEquals(3.0, row.recent().mae(), 0.0);
    }

    @Test
    void shouldExposeTheSumsUnderTheNamesTheReadmeQueries() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        AccuracyBoard scraped = new AccuracyBoard(prometheus, Duration.ofMinutes(60), now::get);
        scraped.scored(score(11, 10, 13));
        scraped.skipped("m", "1", "load", 2, Scorer.Skip.NO_EVENT);

        String text = prometheus.scrape();
        for (String line : List.of(
                "carrycast_accuracy_scored_total{model=\"m\",step=\"1\",target=\"load\",version=\"1\"} 1.0",
                "carrycast_accuracy_abs_error_total{model=\"m\",step=\"1\",target=\"load\",version=\"1\"} 1.0",
                "carrycast_accuracy_squared_error_total{model=\"m\",step=\"1\",target=\"load\",version=\"1\"} 1.0",
                "carrycast_accuracy_persistence_abs_error_total{model=\"m\",step=\"1\",target=\"load\",version=\"1\"} 3.0",
                "carrycast_accuracy_persistence_squared_error_total{model=\"m\",step=\"1\",target=\"load\",version=\"1\"} 9.0",
                "carrycast_accuracy_skipped_total{model=\"m\",reason=\"no_event\",step=\"2\",target=\"load\",version=\"1\"} 1.0")) {
            assertTrue(text.contains(line), line + " in\n" + text);
        }
    }

    @Test
    void shouldSayTheTableIsPerInstance() throws Exception {
        board.scored(score(11, 10, 13));
        board.skipped("m", "1", "load", 2, Scorer.Skip.NO_EVENT);

        JsonNode json = new ObjectMapper().readTree(board.toJson("host-a:8080"));
        assertEquals("instance", json.get("scope").textValue());
        assertEquals("host-a:8080", json.get("instance").textValue());
        assertEquals(3600, json.get("window_seconds").intValue());
        JsonNode row = json.get("rows").get(0);
        assertEquals("m", row.get("model").textValue());
        assertEquals(1, row.get("since_start").get("n").intValue());
        assertEquals(1.0, row.get("since_start").get("mae").doubleValue(), 0.0);
        assertEquals(1 - 1.0 / 3.0, row.get("recent").get("skill").doubleValue(), 1e-15);
        assertEquals(1.0, Meters.count(registry, "carrycast.accuracy.skipped", "model", "m", "version", "1", "target",
                "load", "step", "2"), 0.0);
        assertTrue(board.rows().size() == 1, "skips make no row");
    }

    @Test
    void shouldTallyCoverageWidthAndWinklerPerLevelAndShowThemOnAccuracy() throws Exception {
        // Actual 10: inside [8, 12] at 0.8; 13 outside [8, 12] by 1; the 0.95 interval [6, 14] covers both.
        board.scored(new Score("k", 0, 1, 1, "load", 10, 10, 9, "m", "1",
                java.util.List.of(new Score.Range(0.8, 8, 12), new Score.Range(0.95, 6, 14))));
        board.scored(new Score("k", 1, 2, 1, "load", 10, 13, 9, "m", "1",
                java.util.List.of(new Score.Range(0.8, 8, 12), new Score.Range(0.95, 6, 14))));

        IntervalTally at80 = board.row("m", "1", "load", 1).intervals().get(0.8);
        assertEquals(2, at80.count());
        assertEquals(0.5, at80.coverage(), 0.0);
        assertEquals(4.0, at80.meanWidth(), 0.0);
        // Winkler: 4, then 4 + 2 / 0.2 * 1 = 14
        assertEquals(9.0, at80.meanWinkler(), 1e-12);
        assertEquals(1.0, board.row("m", "1", "load", 1).intervals().get(0.95).coverage(), 0.0);
        assertEquals(1.0, registry.get("carrycast.accuracy.interval.covered").tag("level", "0.8").counter().count(),
                0.0);
        assertEquals(18.0, registry.get("carrycast.accuracy.interval.winkler").tag("level", "0.8").counter().count(),
                1e-12);
        com.fasterxml.jackson.databind.JsonNode row = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(board.toJson("host:1")).get("rows").get(0);
        assertEquals("[{\"level\":0.8,\"n\":2,\"coverage\":0.5,\"mean_width\":4.0,\"winkler\":9.0},"
                + "{\"level\":0.95,\"n\":2,\"coverage\":1.0,\"mean_width\":8.0,\"winkler\":8.0}]",
                row.get("intervals").toString());
    }

    @Test
    void shouldWriteAndReadAScoresIntervals() {
        Score score = new Score("k", 0, 3_600_000, 1, "load", 10, 13, 9, "m", "1",
                java.util.List.of(new Score.Range(0.5, 8, 12)));

        String json = new String(ScoreJson.write(score), java.nio.charset.StandardCharsets.UTF_8);

        assertTrue(json.endsWith("\"intervals\":[{\"level\":0.5,\"lower\":8.0,\"upper\":12.0,\"covered\":false,"
                + "\"winkler\":8.0}]}"), json); // width 4 + 2 / 0.5 * 1
        assertEquals(score, ScoreJson.read(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertEquals(0.5, AnomalyJson.outside(score.ranges().get(0), 13), 0.0, "1 above, half-width 2");
        assertEquals(-1.5, AnomalyJson.outside(score.ranges().get(0), 5), 0.0, "3 below");
    }
}
