package io.carrycast.forecast;

/**
 * Epoch milliseconds of the ISO-8601 forms events carry most, read by hand: {@code 2015-03-01},
 * {@code 2015-03-01T06:30}, {@code 2015-03-01T06:30:00}, with a fraction of up to nine digits, then nothing
 * (UTC), {@code Z} or an offset {@code +05:30}. {@code DateTimeFormatter.parseBest} took 9 % of the stream
 * thread's time on events with an ISO timestamp field. Any other text, and every text that is not a valid
 * time (February 30, hour 24), is left to {@link TimestampFormat}'s formatter, which accepts or refuses it
 * with its own result and message: this class only ever answers for texts the formatter reads the same way.
 */
final class IsoTimestamps {

    /** The answer for a text this class does not read; never a valid result (it lies before year 0). */
    static final long UNREAD = Long.MIN_VALUE;

    /** Days from 0000-01-01 to 1970-01-01, as {@code LocalDate.toEpochDay} counts them. */
    private static final long DAYS_0000_TO_1970 = 719_528L;
    /** java.time's offset limit: an offset beyond 18 hours is refused. */
    private static final int MAX_OFFSET_SECONDS = 18 * 3600;
    /** What {@link #offsetSeconds} returns for a text that writes no offset it reads. */
    private static final int NO_OFFSET = Integer.MIN_VALUE;

    private IsoTimestamps() {
    }

    /** Epoch milliseconds of {@code text}, or {@link #UNREAD}. */
    static long epochMillis(String text) {
        int length = text.length();
        if (length < 10) {
            return UNREAD;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 2);
        int day = digits(text, 8, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > monthLength(year, month)
                || text.charAt(4) != '-' || text.charAt(7) != '-') {
            return UNREAD;
        }
        long epochSecond = epochDay(year, month, day) * 86_400L;
        if (length == 10) {
            return epochSecond * 1000L;
        }
        if (length < 16 || text.charAt(10) != 'T' || text.charAt(13) != ':') {
            return UNREAD;
        }
        int hour = digits(text, 11, 2);
        int minute = digits(text, 14, 2);
        if (hour < 0 || hour > 23 || minute < 0 || minute > 59) {
            return UNREAD;
        }
        epochSecond += hour * 3600L + minute * 60L;
        int at = 16;
        int millis = 0;
        if (at < length && text.charAt(at) == ':') {
            int second = length >= at + 3 ? digits(text, at + 1, 2) : -1;
            if (second < 0 || second > 59) {
                return UNREAD;
            }
            epochSecond += second;
            at += 3;
            if (at < length && text.charAt(at) == '.') {
                at++;
                int fractionEnd = at;
                while (fractionEnd < length && isDigit(text.charAt(fractionEnd))) {
                    fractionEnd++;
                }
                if (fractionEnd - at > 9) {
                    return UNREAD;
                }
                // Milliseconds are the first three digits: toEpochMilli drops what lies below them.
                for (int i = at; i < at + 3; i++) {
                    millis = millis * 10 + (i < fractionEnd ? text.charAt(i) - '0' : 0);
                }
                at = fractionEnd;
            }
        }
        int offsetSeconds = at == length ? 0 : offsetSeconds(text, at);
        return offsetSeconds == NO_OFFSET ? UNREAD : (epochSecond - offsetSeconds) * 1000L + millis;
    }

    /** The offset from UTC that the text from {@code at} to its end writes (Z or ±hh:mm), or {@link #NO_OFFSET}. */
    private static int offsetSeconds(String text, int at) {
        char zone = text.charAt(at);
        if (zone == 'Z' && at + 1 == text.length()) {
            return 0;
        }
        if ((zone != '+' && zone != '-') || at + 6 != text.length() || text.charAt(at + 3) != ':') {
            return NO_OFFSET;
        }
        int offsetHours = digits(text, at + 1, 2);
        int offsetMinutes = digits(text, at + 4, 2);
        int offsetSeconds = offsetHours * 3600 + offsetMinutes * 60;
        if (offsetHours < 0 || offsetMinutes < 0 || offsetMinutes > 59 || offsetSeconds > MAX_OFFSET_SECONDS) {
            return NO_OFFSET;
        }
        return zone == '+' ? offsetSeconds : -offsetSeconds;
    }

    /** The number written by {@code count} ASCII digits at {@code from}, or -1 when one is not a digit. */
    private static int digits(String text, int from, int count) {
        int value = 0;
        for (int i = from; i < from + count; i++) {
            char c = text.charAt(i);
            if (!isDigit(c)) {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int monthLength(int year, int month) {
        return switch (month) {
            case 2 -> isLeap(year) ? 29 : 28;
            case 4, 6, 9, 11 -> 30;
            default -> 31;
        };
    }

    private static boolean isLeap(int year) {
        return (year & 3) == 0 && (year % 100 != 0 || year % 400 == 0);
    }

    /** {@code LocalDate.toEpochDay} for a year from 0 to 9999. */
    private static long epochDay(int year, int month, int day) {
        long days = 365L * year + (year + 3) / 4 - (year + 99) / 100 + (year + 399) / 400;
        days += (367 * month - 362) / 12 + day - 1;
        if (month > 2) {
            days -= isLeap(year) ? 1 : 2;
        }
        return days - DAYS_0000_TO_1970;
    }
}
