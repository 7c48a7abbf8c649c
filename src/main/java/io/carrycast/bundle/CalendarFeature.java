package io.carrycast.bundle;

import java.time.ZonedDateTime;
import java.util.Locale;

/**
 * Features derived from the event time rather than read from the event. The definitions are part of the
 * model contract: an exporter computes them the same way (see {@code tools/export_fixtures.py}).
 */
public enum CalendarFeature {
    HOUR_OF_DAY_SIN, HOUR_OF_DAY_COS,
    /** Monday is 0. */
    DAY_OF_WEEK_SIN, DAY_OF_WEEK_COS,
    /** 1 January is 0; the period is 365.25 days so leap years drift by a quarter day, not a whole one. */
    DAY_OF_YEAR_SIN, DAY_OF_YEAR_COS;

    private static final double TWO_PI = 2 * Math.PI;

    public double valueAt(ZonedDateTime time) {
        double angle = switch (this) {
            case HOUR_OF_DAY_SIN, HOUR_OF_DAY_COS ->
                TWO_PI * (time.getHour() + time.getMinute() / 60.0 + time.getSecond() / 3600.0) / 24.0;
            case DAY_OF_WEEK_SIN, DAY_OF_WEEK_COS -> TWO_PI * (time.getDayOfWeek().getValue() - 1) / 7.0;
            case DAY_OF_YEAR_SIN, DAY_OF_YEAR_COS -> TWO_PI * (time.getDayOfYear() - 1) / 365.25;
        };
        return isSine() ? Math.sin(angle) : Math.cos(angle);
    }

    private boolean isSine() {
        return this == HOUR_OF_DAY_SIN || this == DAY_OF_WEEK_SIN || this == DAY_OF_YEAR_SIN;
    }

    public String cardName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
