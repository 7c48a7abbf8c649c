package io.carrycast.forecast;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.bundle.CalendarFeature;
import io.carrycast.bundle.Cell;
import io.carrycast.bundle.FeatureSpec;
import io.carrycast.bundle.Mode;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.NetworkSpec;
import io.carrycast.bundle.Resample;
import io.carrycast.bundle.Resample.Aggregate;
import io.carrycast.bundle.TargetSpec;
import io.carrycast.bundle.TensorLayout;
import io.carrycast.bundle.TensorSpec;
import io.carrycast.forecast.InvalidEventException.Reason;
import io.carrycast.state.OpenBucket;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The resampling rules on their own: aggregates, alignment in the card's zone, fills, redeliveries, late events. */
class ResamplerTest {

    private static final long MINUTE = 60_000L;
    private static final long HOUR = 60 * MINUTE;

    /** Fields a..g with one aggregate each; features unnormalised (mean 0, std 1), then the hour of day. */
    private static ModelCard card(String cadence, String zone, Resample.Empty empty, int maxFill) {
        List<String> fields = List.of("a", "b", "c", "d", "e", "f", "g");
        List<FeatureSpec> features = new java.util.ArrayList<>(fields.stream()
                .map(field -> new FeatureSpec(field, null, 0.0, 1.0)).toList());
        features.add(new FeatureSpec(null, CalendarFeature.HOUR_OF_DAY_COS, 0.0, 1.0));
        Resample resample = new Resample(Aggregate.MEAN, Map.of("b", Aggregate.SUM, "c", Aggregate.MIN,
                "d", Aggregate.MAX, "e", Aggregate.FIRST, "f", Aggregate.LAST, "g", Aggregate.COUNT), empty, maxFill);
        return new ModelCard("t", "1", Mode.STATEFUL, 0, Duration.parse(cadence), ZoneId.of(zone), features,
                List.of(new TargetSpec("a", 0.0, 1.0)), 1, new NetworkSpec(Cell.LSTM, 1, 4, false),
                new TensorSpec(null, null, TensorLayout.TIME_MAJOR, null), null, resample);
    }

    private static Resampler resampler(String cadence, String zone, Resample.Empty empty, int maxFill) {
        ModelCard card = card(cadence, zone, empty, maxFill);
        return new Resampler(card, new FeatureExtractor(card));
    }

    private static long at(String instant) {
        return Instant.parse(instant).toEpochMilli();
    }

    private static double[] values(double value) {
        return new double[] {value, value, value, value, value, value, value};
    }

    @Test
    void shouldCombineEachFieldAsTheCardSays() {
        Resampler resampler = resampler("PT1H", "UTC", Resample.Empty.SKIP, 0);
        OpenBucket bucket = null;
        double[] arriving = {4.0, 1.0, 7.0};
        for (int i = 0; i < arriving.length; i++) {
            bucket = resampler.add("k", bucket, at("2024-01-01T10:00:00Z") + (i + 1) * MINUTE, values(arriving[i]))
                    .bucket();
        }

        Resampler.Closed closed = resampler.close(bucket);

        Resampler.Step step = closed.steps().get(0);
        assertEquals(1, closed.steps().size());
        assertEquals(at("2024-01-01T10:00:00Z"), step.startMs());
        assertEquals(3, step.events());
        // mean, sum, min, max, first, last, count; arrival order is time order
        assertArrayEquals(new double[] {4.0, 12.0, 1.0, 7.0, 4.0, 7.0, 3.0}, step.values(), 1e-12);
        assertEquals((float) Math.cos(2 * Math.PI * 10 / 24), step.features()[7], 1e-7f, "calendar at the start");
    }

    @Test
    void shouldAlignDailyBucketsToLocalMidnightAcrossADaylightSavingChange() {
        Resampler resampler = resampler("P1D", "Europe/Berlin", Resample.Empty.SKIP, 0);

        assertEquals(at("2024-03-30T23:00:00Z"), resampler.bucketStart(at("2024-03-31T12:00:00Z")));
        // 31 March 2024 lasts 23 hours in Berlin: the bucket ends at the next local midnight, 22:00 UTC.
        assertEquals(at("2024-03-31T22:00:00Z"), resampler.bucketEnd(at("2024-03-30T23:00:00Z")));
        assertEquals(at("2024-03-31T22:00:00Z"), resampler.bucketStart(at("2024-03-31T22:00:00Z")));
    }

    @Test
    void shouldTargetTheStartOfEachLaterLocalDayAcrossDaylightSavingChanges() {
        Resampler days = resampler("P1D", "Europe/Berlin", Resample.Empty.SKIP, 0);
        long saturday = at("2024-03-29T23:00:00Z"); // Saturday 30 March, local midnight (UTC+1)

        assertEquals(at("2024-03-30T23:00:00Z"), days.bucketStartAfter(saturday, 1), "24 hours later");
        // Sunday 31 March lasts 23 hours: Monday starts at 22:00 UTC (UTC+2).
        assertEquals(at("2024-03-31T22:00:00Z"), days.bucketStartAfter(saturday, 2));
        assertEquals(at("2024-04-06T22:00:00Z"), days.bucketStartAfter(saturday, 8));
        // Sunday 27 October (from 22:00 UTC the day before) lasts 25 hours.
        assertEquals(at("2024-10-27T23:00:00Z"), days.bucketStartAfter(at("2024-10-26T22:00:00Z"), 1));

        Resampler sixHours = resampler("PT6H", "Europe/Berlin", Resample.Empty.SKIP, 0);
        // From local 18:00 on Saturday 30 March: midnight, then the 23-hour Sunday's buckets 6, 12 and 18 hours
        // after its midnight (the last one 5 hours long), then Monday's midnight.
        long evening = at("2024-03-30T17:00:00Z");
        assertEquals(at("2024-03-30T23:00:00Z"), sixHours.bucketStartAfter(evening, 1));
        assertEquals(at("2024-03-31T05:00:00Z"), sixHours.bucketStartAfter(evening, 2));
        assertEquals(at("2024-03-31T17:00:00Z"), sixHours.bucketStartAfter(evening, 4));
        assertEquals(at("2024-03-31T22:00:00Z"), sixHours.bucketStartAfter(evening, 5));
        for (int step = 0; step <= 8; step++) {
            long start = sixHours.bucketStartAfter(evening, step);
            assertEquals(start, sixHours.bucketStart(start), "step " + step + " starts a bucket");
            assertEquals(sixHours.bucketEnd(start), sixHours.bucketStartAfter(evening, step + 1), "step " + step);
        }

        Resampler utc = resampler("PT1H", "UTC", Resample.Empty.SKIP, 0);
        assertEquals(at("2024-03-31T05:00:00Z"), utc.bucketStartAfter(at("2024-03-31T01:00:00Z"), 4));
    }

    @Test
    void shouldStampABucketsForecastStepsWithTheStartsOfTheBucketsTheyForecast() {
        Resampler days = resampler("P1D", "Europe/Berlin", Resample.Empty.SKIP, 0);
        long saturday = at("2024-03-29T23:00:00Z");
        Forecast made = new Forecast("k", saturday, "t", "1", "stateful", 3, null, List.of(
                new Forecast.Point(1, saturday + 24 * HOUR, Map.of("a", 1.0)),
                new Forecast.Point(2, saturday + 48 * HOUR, Map.of("a", 2.0))));

        Forecast bucketed = days.bucketForecast(made, 4, 1);

        assertEquals(new Forecast.Bucket(4, 1), bucketed.bucket());
        assertEquals(at("2024-03-30T23:00:00Z"), bucketed.points().get(0).targetTimeMs());
        assertEquals(at("2024-03-31T22:00:00Z"), bucketed.points().get(1).targetTimeMs(), "after the 23-hour day");
        assertEquals(Map.of("a", 2.0), bucketed.points().get(1).values());
        assertEquals(made.stepsSeen(), bucketed.stepsSeen());
    }

    @Test
    void shouldAlignQuarterHoursToTheQuarterAndHoursToTheLocalHour() {
        Resampler quarters = resampler("PT15M", "UTC", Resample.Empty.SKIP, 0);
        assertEquals(at("2024-01-01T10:45:00Z"), quarters.bucketStart(at("2024-01-01T10:59:59.999Z")));
        assertEquals(at("2024-01-01T11:00:00Z"), quarters.bucketEnd(at("2024-01-01T10:45:00Z")));

        Resampler kolkata = resampler("PT1H", "Asia/Kolkata", Resample.Empty.SKIP, 0);
        assertEquals(at("2024-01-01T10:30:00Z"), kolkata.bucketStart(at("2024-01-01T11:29:00Z")));
    }

    @Test
    void shouldStepABucketWhenTheKeysNextEventFallsIntoALaterOne() {
        Resampler resampler = resampler("PT1H", "UTC", Resample.Empty.SKIP, 0);
        Resampler.Added first = resampler.add("k", null, at("2024-01-01T10:05:00Z"), values(1));
        Resampler.Added same = resampler.add("k", first.bucket(), at("2024-01-01T10:55:00Z"), values(2));
        Resampler.Added next = resampler.add("k", same.bucket(), at("2024-01-01T11:00:00Z"), values(3));

        assertEquals(List.of(), first.steps());
        assertEquals(List.of(), same.steps());
        assertEquals(1, next.steps().size());
        assertEquals(2, next.steps().get(0).events());
        assertEquals(at("2024-01-01T11:00:00Z"), next.bucket().openStartMs());
        assertEquals(at("2024-01-01T12:00:00Z"), next.bucket().openEndMs());
    }

    @Test
    void shouldCarryThePreviousBucketIntoEmptyOnesUpToTheBound() {
        Resampler resampler = resampler("PT1H", "UTC", Resample.Empty.CARRY, 2);
        OpenBucket bucket = resampler.add("k", null, at("2024-01-01T10:05:00Z"), values(5)).bucket();
        bucket = resampler.close(bucket).bucket();
        bucket = resampler.add("k", bucket, at("2024-01-01T13:10:00Z"), values(9)).bucket();

        List<Resampler.Step> steps = resampler.close(bucket).steps();

        assertEquals(3, steps.size());
        assertEquals(at("2024-01-01T11:00:00Z"), steps.get(0).startMs());
        assertEquals(at("2024-01-01T12:00:00Z"), steps.get(1).startMs());
        assertTrue(steps.get(0).isFill() && steps.get(1).isFill());
        assertArrayEquals(new double[] {5, 5, 5, 5, 5, 5, 1}, steps.get(1).values(), 1e-12);
        assertEquals(at("2024-01-01T13:00:00Z"), steps.get(2).startMs());
        assertEquals(1, steps.get(2).events());
        assertEquals(2, steps.get(2).filledBefore());
        assertArrayEquals(new double[] {9, 9, 9, 9, 9, 9, 1}, steps.get(2).values(), 1e-12);
    }

    @Test
    void shouldFillNothingAfterASilenceLongerThanTheBound() {
        Resampler resampler = resampler("PT1H", "UTC", Resample.Empty.ZEROS, 2);
        OpenBucket bucket = resampler.close(resampler.add("k", null, at("2024-01-01T10:05:00Z"), values(5)).bucket())
                .bucket();
        bucket = resampler.add("k", bucket, at("2024-01-01T14:10:00Z"), values(9)).bucket();

        List<Resampler.Step> steps = resampler.close(bucket).steps();

        assertEquals(1, steps.size());
        assertEquals(0, steps.get(0).filledBefore());
    }

    @Test
    void shouldFillZerosWhenTheCardSaysSo() {
        Resampler resampler = resampler("PT1H", "UTC", Resample.Empty.ZEROS, 2);
        OpenBucket bucket = resampler.close(resampler.add("k", null, at("2024-01-01T10:05:00Z"), values(5)).bucket())
                .bucket();
        bucket = resampler.add("k", bucket, at("2024-01-01T12:10:00Z"), values(9)).bucket();

        List<Resampler.Step> steps = resampler.close(bucket).steps();

        assertEquals(2, steps.size());
        assertArrayEquals(new double[7], steps.get(0).values(), 0.0);
        assertEquals(1, steps.get(1).filledBefore());
    }

    @Test
    void shouldDropAnExactRedeliveryAndRefuseAnEarlierEventAsLate() {
        Resampler resampler = resampler("PT1H", "UTC", Resample.Empty.SKIP, 0);
        OpenBucket bucket = resampler.add("k", null, at("2024-01-01T10:30:00Z"), values(1)).bucket();

        Resampler.Added again = resampler.add("k", bucket, at("2024-01-01T10:30:00Z"), values(1));
        assertTrue(again.redelivery());
        assertEquals(bucket, again.bucket());

        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> resampler.add("k", bucket, at("2024-01-01T10:20:00Z"), values(1)));
        assertEquals(Reason.LATE, e.reason());
        assertEquals("event time 2024-01-01T10:20:00Z of key 'k' is not after its last accepted event "
                + "2024-01-01T10:30:00Z", e.getMessage());
    }

    @Test
    void shouldRefuseAnEventForABucketAlreadySteppedAsLate() {
        Resampler resampler = resampler("PT1H", "UTC", Resample.Empty.SKIP, 0);
        OpenBucket stepped = resampler.close(resampler.add("k", null, at("2024-01-01T10:30:00Z"), values(1)).bucket())
                .bucket();

        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> resampler.add("k", stepped, at("2024-01-01T10:40:00Z"), values(1)));
        assertEquals(Reason.LATE, e.reason());
        assertEquals("event time 2024-01-01T10:40:00Z of key 'k' falls into the bucket starting 2024-01-01T10:00:00Z, "
                + "already stepped (the key's last stepped bucket starts 2024-01-01T10:00:00Z)", e.getMessage());
    }

    private static Resampler lateResampler(long allowedMs, int maxEvents) {
        ModelCard card = card("PT1H", "UTC", Resample.Empty.SKIP, 0);
        return new Resampler(card, new FeatureExtractor(card), new LateEvents.Bound(allowedMs, maxEvents));
    }

    @Test
    void shouldAddALateEventToTheOpenBucketAsIfItHadArrivedInTimeOrder() {
        Resampler resampler = lateResampler(HOUR, 64);
        OpenBucket bucket = null;
        // 10:10 with 4, 10:40 with 7, then 10:05 with 1 and 10:25 with 9 late.
        long[] times = {at("2024-01-01T10:10:00Z"), at("2024-01-01T10:40:00Z"), at("2024-01-01T10:05:00Z"),
            at("2024-01-01T10:25:00Z")};
        double[] arriving = {4.0, 7.0, 1.0, 9.0};
        for (int i = 0; i < times.length; i++) {
            Resampler.Added added = resampler.add("k", bucket, times[i], values(arriving[i]));
            assertTrue(!added.redelivery() && added.steps().isEmpty());
            bucket = added.bucket();
        }

        Resampler.Step step = resampler.close(bucket).steps().get(0);

        // mean, sum, min, max, first (10:05), last (10:40), count
        assertArrayEquals(new double[] {21.0 / 4, 21.0, 1.0, 9.0, 1.0, 7.0, 4.0}, step.values(), 1e-12);
        assertEquals(4, step.events());
    }

    @Test
    void shouldDropARedeliveryOfAnyRecentEventOfTheOpenBucket() {
        Resampler resampler = lateResampler(30 * MINUTE, 64);
        OpenBucket bucket = resampler.add("k", null, at("2024-01-01T10:10:00Z"), values(4)).bucket();
        bucket = resampler.add("k", bucket, at("2024-01-01T10:20:00Z"), values(5)).bucket();
        bucket = resampler.add("k", bucket, at("2024-01-01T10:15:00Z"), values(6)).bucket();

        for (long time : new long[] {at("2024-01-01T10:10:00Z"), at("2024-01-01T10:15:00Z")}) {
            double value = time == at("2024-01-01T10:10:00Z") ? 4 : 6;
            Resampler.Added again = resampler.add("k", bucket, time, values(value));
            assertTrue(again.redelivery(), "redelivery at " + Instant.ofEpochMilli(time));
            assertEquals(bucket, again.bucket());
        }
        Resampler.Added other = resampler.add("k", bucket, at("2024-01-01T10:15:00Z"), values(8));
        assertTrue(!other.redelivery(), "another event at the same time is an event");
        assertEquals(4, other.bucket().eventCount());
    }

    @Test
    void shouldRefuseALateEventBeyondTheLatenessOrForABucketNotKept() {
        Resampler resampler = lateResampler(30 * MINUTE, 64);
        OpenBucket bucket = resampler.add("k", null, at("2024-01-01T10:50:00Z"), values(4)).bucket();
        OpenBucket next = resampler.add("k", bucket, at("2024-01-01T11:05:00Z"), values(5)).bucket();

        InvalidEventException tooLate = assertThrows(InvalidEventException.class,
                () -> resampler.add("k", next, at("2024-01-01T10:30:00Z"), values(1)));
        assertEquals(Reason.LATE, tooLate.reason());
        assertEquals("event time 2024-01-01T10:30:00Z of key 'k' is 2100000 ms behind its latest event "
                + "2024-01-01T11:05:00Z, more than carrycast.lateness.allowed.ms=1800000", tooLate.getMessage());

        // Once 12:40 is the latest and its bucket stepped, no late event can reach the 11:00 bucket any more
        // (it ended before 12:10): it is kept only as the bucket a revision of 12:00 replays from.
        OpenBucket later = resampler.close(resampler.add("k", next, at("2024-01-01T12:40:00Z"), values(6)).bucket())
                .bucket();
        assertEquals(new OpenBucket.Kept(at("2024-01-01T11:00:00Z"), new double[] {5, 5, 5, 5, 5, 5, 1}, List.of(
                new OpenBucket.SteppedBucket(at("2024-01-01T12:00:00Z"), 1, at("2024-01-01T12:40:00Z"),
                        at("2024-01-01T12:40:00Z"), new double[] {6, 6, 6, 6, 6, 6, 1}))), later.kept());

        // A bucket stored before stepped buckets were kept (no kept buckets) is not revised.
        OpenBucket unkept = new OpenBucket(later.lastSteppedStartMs(), later.openStartMs(), later.openEndMs(),
                later.eventCount(), later.firstEventTimeMs(), later.lastEventTimeMs(), later.lastEventDigest(),
                later.stepped(), later.running(), later.recentTimes(), later.recentDigests());
        InvalidEventException notKept = assertThrows(InvalidEventException.class,
                () -> resampler.add("k", unkept, at("2024-01-01T12:20:00Z"), values(1)));
        assertEquals("event time 2024-01-01T12:20:00Z of key 'k' falls into the bucket starting 2024-01-01T12:00:00Z, "
                + "already stepped and not kept (stored before stepped buckets were kept)", notKept.getMessage());
    }

    @Test
    void shouldReviseASteppedBucketAndRecomputeTheStepsAfterTheBucketBeforeIt() {
        ModelCard card = card("PT1H", "UTC", Resample.Empty.CARRY, 3);
        Resampler resampler = new Resampler(card, new FeatureExtractor(card), new LateEvents.Bound(3 * HOUR, 64));
        OpenBucket bucket = null;
        // 10:10 (4), 10:40 (7), then 12:30 (5): the 10:00 bucket is stepped; 11:00 is empty, filled with its values
        // when the 12:00 bucket is stepped.
        for (String time : List.of("2024-01-01T10:10:00Z", "2024-01-01T10:40:00Z", "2024-01-01T12:30:00Z")) {
            double value = time.contains("10:10") ? 4 : time.contains("10:40") ? 7 : 5;
            bucket = resampler.add("k", bucket, at(time), values(value)).bucket();
        }

        // 10:05 with 1 revises the stepped 10:00 bucket: the key's steps from its first bucket on are recomputed.
        Resampler.Added revised = resampler.add("k", bucket, at("2024-01-01T10:05:00Z"), values(1));

        assertTrue(revised.steps().isEmpty() && !revised.redelivery());
        assertEquals(Long.MIN_VALUE, revised.revision().afterStartMs(), "from the key's first bucket on");
        List<Resampler.Step> steps = revised.revision().steps();
        assertEquals(List.of(at("2024-01-01T10:00:00Z")), steps.stream().map(Resampler.Step::startMs).toList());
        // mean, sum, min, max, first (10:05), last (10:40), count
        double[] revisedValues = {12.0 / 3, 12.0, 1.0, 7.0, 1.0, 7.0, 3.0};
        assertArrayEquals(revisedValues, steps.get(0).values(), 1e-12);
        assertEquals(3, steps.get(0).events());
        assertEquals(at("2024-01-01T10:00:00Z"), revised.bucket().lastSteppedStartMs());
        assertEquals(at("2024-01-01T12:30:00Z"), revised.bucket().lastEventTimeMs());
        List<Resampler.Step> whenClosed = resampler.close(revised.bucket()).steps();
        assertTrue(whenClosed.get(0).isFill());
        assertArrayEquals(revisedValues, whenClosed.get(0).values(), 1e-12, "the 11:00 fill carries the revised values");

        // 11:20 with 3 falls into the filled bucket: it now has an event, and the 12:00 bucket follows it unfilled.
        Resampler.Added filled = resampler.add("k", revised.bucket(), at("2024-01-01T11:20:00Z"), values(3));

        assertEquals(at("2024-01-01T10:00:00Z"), filled.revision().afterStartMs());
        List<Resampler.Step> after = filled.revision().steps();
        assertEquals(1, after.size());
        assertEquals(at("2024-01-01T11:00:00Z"), after.get(0).startMs());
        assertEquals(1, after.get(0).events());
        assertEquals(0, after.get(0).filledBefore());
        assertEquals(at("2024-01-01T11:00:00Z"), filled.bucket().lastSteppedStartMs());
        Resampler.Step open = resampler.close(filled.bucket()).steps().get(0);
        assertEquals(at("2024-01-01T12:00:00Z"), open.startMs());
        assertEquals(0, open.filledBefore());
        assertTrue(resampler.add("k", filled.bucket(), at("2024-01-01T10:05:00Z"), values(1)).redelivery(),
                "a redelivery of an event of a stepped bucket is dropped");
    }

    @Test
    void shouldRefuseALateEventOlderThanTheRecentEventsKept() {
        Resampler resampler = lateResampler(30 * MINUTE, 2);
        OpenBucket bucket = null;
        for (String time : List.of("2024-01-01T10:10:00Z", "2024-01-01T10:20:00Z", "2024-01-01T10:30:00Z")) {
            bucket = resampler.add("k", bucket, at(time), values(1)).bucket();
        }
        assertArrayEquals(new long[] {at("2024-01-01T10:20:00Z"), at("2024-01-01T10:30:00Z")}, bucket.recentTimes());
        OpenBucket full = bucket;

        InvalidEventException e = assertThrows(InvalidEventException.class,
                () -> resampler.add("k", full, at("2024-01-01T10:10:00Z"), values(1)));
        assertEquals("event time 2024-01-01T10:10:00Z of key 'k' is older than the key's 2 latest events kept "
                + "to recognise a redelivery (carrycast.lateness.history.max.events=2)", e.getMessage());
        assertEquals(4, resampler.add("k", full, at("2024-01-01T10:25:00Z"), values(1)).bucket().eventCount(),
                "a late event among the kept ones is taken");
    }
}
