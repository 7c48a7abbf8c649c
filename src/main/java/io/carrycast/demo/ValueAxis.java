package io.carrycast.demo;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

/**
 * A chart's value axis from {@code low} to {@code high} with a tick every {@code step}: 1, 2 or 5 times a
 * power of ten, and both ends on ticks.
 */
record ValueAxis(double low, double high, double step) {

    /** Intervals aimed at between the ticks: enough to read a value off, few enough for labels to breathe. */
    private static final int INTERVALS = 8;

    /**
     * The axis for values from {@code min} to {@code max}, with the ends strictly beyond them: a peak that
     * falls on a tick would otherwise lie on the frame of the plot and look cut off.
     */
    static ValueAxis covering(double min, double max) {
        if (!Double.isFinite(min) || !Double.isFinite(max) || min > max) {
            throw new IllegalArgumentException("no axis for values from " + min + " to " + max);
        }
        double span = max > min ? max - min : Math.max(Math.abs(max), 1);
        BigDecimal step = roundStep(span / INTERVALS);
        // Decimal arithmetic keeps ticks such as 0.3 at the double nearest 0.3, not 0.30000000000000004.
        BigDecimal low = BigDecimal.valueOf(min).divide(step, 0, RoundingMode.FLOOR).multiply(step);
        BigDecimal high = BigDecimal.valueOf(max).divide(step, 0, RoundingMode.CEILING).multiply(step);
        if (low.compareTo(BigDecimal.valueOf(min)) == 0) {
            low = low.subtract(step);
        }
        if (high.compareTo(BigDecimal.valueOf(max)) == 0) {
            high = high.add(step);
        }
        return new ValueAxis(low.doubleValue(), high.doubleValue(), step.doubleValue());
    }

    /** Of 1, 2, 5 and 10 times the power of ten below {@code raw}, the one nearest it (by ratio, roughly). */
    private static BigDecimal roundStep(double raw) {
        int exponent = (int) Math.floor(Math.log10(raw));
        double fraction = raw / Math.pow(10, exponent);
        int mantissa = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
        return BigDecimal.valueOf(mantissa).scaleByPowerOfTen(exponent);
    }

    /** From {@code low} to {@code high}, both included. */
    List<Double> ticks() {
        BigDecimal step = BigDecimal.valueOf(this.step);
        BigDecimal high = BigDecimal.valueOf(this.high);
        List<Double> ticks = new ArrayList<>();
        for (BigDecimal v = BigDecimal.valueOf(low); v.compareTo(high) <= 0; v = v.add(step)) {
            ticks.add(v.doubleValue());
        }
        return ticks;
    }

    /** A tick's label with as many decimals as the step has: 0.5 steps read 0.5, 1.0, 1.5. */
    String label(double value) {
        int decimals = Math.max(0, BigDecimal.valueOf(step).stripTrailingZeros().scale());
        return BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).toPlainString();
    }
}
