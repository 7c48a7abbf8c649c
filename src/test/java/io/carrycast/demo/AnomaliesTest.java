package io.carrycast.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's anomaly counts: a day once however many forecast steps flagged it, only the scored year's. */
class AnomaliesTest {

    private static final long FROM = Instant.parse("2015-01-01T00:00:00Z").toEpochMilli();
    private static final long UNTIL = Instant.parse("2016-01-01T00:00:00Z").toEpochMilli();

    @Test
    void shouldCountADayFlaggedBySeveralStepsOnceAndLeaveOutOtherYears() {
        long march2 = Instant.parse("2015-03-02T00:00:00Z").toEpochMilli();
        long march9 = Instant.parse("2015-03-09T00:00:00Z").toEpochMilli();
        List<Anomalies.Flag> flags = List.of(new Anomalies.Flag("Seattle", march2, 1),
                new Anomalies.Flag("Seattle", march2, 3), new Anomalies.Flag("Seattle", march9, 7),
                new Anomalies.Flag("Seattle", Instant.parse("2014-12-31T00:00:00Z").toEpochMilli(), 1),
                new Anomalies.Flag("Seattle", UNTIL, 1));

        List<Demo.AnomalyCount> counts = Anomalies.count(List.of("New York", "Seattle"), flags, FROM, UNTIL);

        assertEquals(List.of(new Demo.AnomalyCount("New York", 0, 0, 0), new Demo.AnomalyCount("Seattle", 2, 1, 3)),
                counts);
        assertEquals(new Demo.AnomalyCount("total", 2, 1, 3), Anomalies.total(counts));
    }

    @Test
    void shouldReadTheKeyTimeAndStepOfAnAnomalyRecord() {
        byte[] record = ("{\"key\":\"Seattle\",\"time\":\"2015-03-02T00:00:00Z\",\"target\":\"temp_max\",\"actual\":16.1,"
                + "\"forecast\":9.84,\"step\":2,\"made_at\":\"2015-02-28T00:00:00Z\",\"level\":0.95,\"lower\":4.66,"
                + "\"upper\":15.02,\"outside\":0.21,\"model\":{\"name\":\"weather-lstm\",\"version\":\"1\"}}")
                .getBytes(StandardCharsets.UTF_8);

        assertEquals(new Anomalies.Flag("Seattle", Instant.parse("2015-03-02T00:00:00Z").toEpochMilli(), 2),
                Anomalies.read(record));
    }
}
