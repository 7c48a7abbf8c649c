package io.carrycast.forecast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IsoTimestampsTest {

    private final TimestampFormat iso = TimestampFormat.of("iso");

    @Test
    void shouldReadEveryGeneratedValidTimestampAsJavaTimeDoes() {
        Random random = new Random(42);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            texts.add(randomTimestamp(random));
        }
        for (int year : new int[] {0, 4, 1600, 1900, 1970, 2000, 2016, 2024, 2100, 9996}) {
            // February 29 of leap years and of years without one, and the last instant of every month of those years.
            texts.add(String.format("%04d-02-29", year));
            for (int month = 1; month <= 12; month++) {
                texts.add(String.format("%04d-%02d-%02dT23:59:59.999999999Z", year, month,
                        java.time.YearMonth.of(year, month).lengthOfMonth()));
            }
        }
        int read = 0;
        for (String text : texts) {
            assertEquals(outcome(() -> iso.parseIso(text)), outcome(() -> iso.parse(text)), text);
            read += IsoTimestamps.epochMillis(text) != IsoTimestamps.UNREAD ? 1 : 0;
        }
        // All are forms the fast path reads, except February 29 of 1900, 1970 and 2100, which java.time refuses too.
        assertEquals(texts.size() - 3, read);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "2015-02-30", "2015-02-29T00:00:00Z", "1900-02-29T00:00Z", "2015-04-31T00:00:00Z", "2015-13-01T00:00Z",
            "2015-00-10T00:00Z", "2015-01-00T00:00Z", "2015-01-01T24:00:00Z", "2015-01-01T23:60:00Z",
            "2015-01-01T23:59:60Z", "2015-01-01T00:00:00.1234567891Z", "2015-01-01T00:00:00+18:01",
            "2015-01-01T00:00:00-18:01", "2015-01-01T00:00:00+19:00", "2015-01-01T00:00:00+05:60",
            "2015-01-01T00:00:00+0530", "2015-01-01T00:00:00+05", "2015-1-01T00:00:00Z", "2015-01-01T0:00:00Z",
            "2015-01-01T00:00:0Z", "2015-01-01T00:00:00ZZ", "2015-01-01T00:00:00 ", " 2015-01-01T00:00:00",
            "2015-01-01T00", "2015-01-01T", "2015/01/01", "yesterday", "", "2015-01-01T00:00:00.", "2015-01-01X00:00Z",
            "2015-01-01T00:00:00+05:30[Asia/Kolkata]", "2015-01-01T00:00:00Z[UTC]", "2015-01-01t06:30:00z",
            "+12015-01-01T00:00:00Z", "2015-01-01T00:00:00+05:30:15", "2015-01-01T00:00:00.5+05:30", "0000-01-01T00:00Z",
            "2015-01-01T00:00:00-00:00", "2015-01-01T00:00:00+18:00", "2015-01-01T00:00:00.Z"})
    void shouldAcceptAndRefuseEdgeCasesExactlyAsJavaTimeDoes(String text) {
        assertEquals(outcome(() -> iso.parseIso(text)), outcome(() -> iso.parse(text)), text);
    }

    @Test
    void shouldLeaveTextsJavaTimeRefusesToJavaTime() {
        for (String text : List.of("2015-02-30", "2015-01-01T24:00:00Z", "2015-01-01T23:59:60Z",
                "2015-01-01T00:00:00+18:01", "2015-02-29T00:00Z")) {
            assertEquals(IsoTimestamps.UNREAD, IsoTimestamps.epochMillis(text), text);
        }
        assertEquals("refused: java.time.format.DateTimeParseException: Text '2015-01-01T24:00:00Z' could not be "
                + "parsed: Invalid value for HourOfDay (valid values 0 - 23): 24",
                outcome(() -> iso.parse("2015-01-01T24:00:00Z")));
    }

    @Test
    void shouldReadTheCommonFormsByHand() {
        assertEquals(1425191400000L, IsoTimestamps.epochMillis("2015-03-01T06:30:00Z"));
        assertEquals(1425191400123L, IsoTimestamps.epochMillis("2015-03-01T06:30:00.123456789Z"));
        assertEquals(1425191400000L, IsoTimestamps.epochMillis("2015-03-01T12:00:00+05:30"));
        assertEquals(1425191400500L, IsoTimestamps.epochMillis("2015-03-01T06:30:00.5"));
        assertEquals(1425168000000L, IsoTimestamps.epochMillis("2015-03-01"));
        assertEquals(-62167219200000L, IsoTimestamps.epochMillis("0000-01-01T00:00Z"));
        assertNotEquals(IsoTimestamps.UNREAD, IsoTimestamps.epochMillis("2024-02-29T23:59-18:00"));
    }

    /** The result or the refusal, as one comparable text. */
    private static String outcome(java.util.function.LongSupplier parse) {
        try {
            return "read: " + parse.getAsLong();
        } catch (RuntimeException refused) {
            return "refused: " + refused;
        }
    }

    /** A valid ISO timestamp in one of the forms the fast path reads, any date of years 0 to 9999. */
    private static String randomTimestamp(Random random) {
        int year = random.nextInt(4) == 0 ? random.nextInt(10_000) : 1900 + random.nextInt(200);
        int month = 1 + random.nextInt(12);
        int day = 1 + random.nextInt(java.time.YearMonth.of(year, month).lengthOfMonth());
        StringBuilder text = new StringBuilder(String.format("%04d-%02d-%02d", year, month, day));
        if (random.nextInt(10) == 0) {
            return text.toString();
        }
        text.append(String.format("T%02d:%02d", random.nextInt(24), random.nextInt(60)));
        if (random.nextInt(8) != 0) {
            text.append(String.format(":%02d", random.nextInt(60)));
            int digits = random.nextInt(11) - 1;
            if (digits >= 0) {
                text.append('.');
                for (int d = 0; d < digits; d++) {
                    text.append((char) ('0' + random.nextInt(10)));
                }
            }
        }
        switch (random.nextInt(3)) {
            case 0 -> text.append('Z');
            case 1 -> {
                int minutes = random.nextInt(18 * 60 + 1);
                text.append(String.format("%c%02d:%02d", random.nextBoolean() ? '+' : '-', minutes / 60, minutes % 60));
            }
            default -> { }
        }
        return text.toString();
    }
}
