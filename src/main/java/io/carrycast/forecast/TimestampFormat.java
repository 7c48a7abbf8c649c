package io.carrycast.forecast;

import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.TemporalAccessor;
import java.util.Locale;

/**
 * How an event's timestamp field is written: {@code iso} (an instant, offset or local date-time, or a
 * date), {@code epoch_millis}, {@code epoch_seconds}, or a {@link DateTimeFormatter} pattern. Times
 * without an offset are read as UTC.
 */
public final class TimestampFormat {

    private enum Kind { ISO, EPOCH_MILLIS, EPOCH_SECONDS, PATTERN }

    private final Kind kind;
    private final String setting;
    private final DateTimeFormatter formatter;

    private TimestampFormat(Kind kind, String setting, DateTimeFormatter formatter) {
        this.kind = kind;
        this.setting = setting;
        this.formatter = formatter;
    }

    /**
     * Reads the setting.
     *
     * @throws IllegalArgumentException saying what is allowed when the value is none of the forms
     */
    public static TimestampFormat of(String setting) {
        String lower = setting.trim().toLowerCase(Locale.ROOT);
        switch (lower) {
            case "iso":
                return new TimestampFormat(Kind.ISO, lower, DateTimeFormatter.ISO_DATE_TIME);
            case "epoch_millis":
                return new TimestampFormat(Kind.EPOCH_MILLIS, lower, null);
            case "epoch_seconds":
                return new TimestampFormat(Kind.EPOCH_SECONDS, lower, null);
            default:
                try {
                    return new TimestampFormat(Kind.PATTERN, setting, DateTimeFormatter.ofPattern(setting, Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("must be iso, epoch_millis, epoch_seconds or a java.time "
                            + "pattern, found '" + setting + "' (" + e.getMessage() + ")", e);
                }
        }
    }

    /**
     * Epoch milliseconds of a timestamp.
     *
     * @throws DateTimeException or {@link NumberFormatException} when the text does not fit the format
     */
    public long parse(String text) {
        switch (kind) {
            case EPOCH_MILLIS:
                return Long.parseLong(text.trim());
            case EPOCH_SECONDS:
                return Math.round(Double.parseDouble(text.trim()) * 1000.0);
            case ISO:
                long read = IsoTimestamps.epochMillis(text);
                return read != IsoTimestamps.UNREAD ? read : parseIso(text);
            default:
                return toEpochMillis(formatter.parseBest(text, OffsetDateTime::from, LocalDateTime::from,
                        LocalDate::from));
        }
    }

    /** The ISO forms through java.time: every form {@link IsoTimestamps} does not read, and every refusal. */
    long parseIso(String text) {
        if (text.indexOf('T') < 0) {
            return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        }
        return toEpochMillis(formatter.parseBest(text, OffsetDateTime::from, LocalDateTime::from));
    }

    private static long toEpochMillis(TemporalAccessor parsed) {
        if (parsed instanceof OffsetDateTime offset) {
            return offset.toInstant().toEpochMilli();
        }
        if (parsed instanceof LocalDateTime local) {
            return local.toInstant(ZoneOffset.UTC).toEpochMilli();
        }
        return ((LocalDate) parsed).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }

    @Override
    public String toString() {
        return setting;
    }
}
