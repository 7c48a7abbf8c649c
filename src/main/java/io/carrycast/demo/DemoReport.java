package io.carrycast.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.IntervalTally;
import io.carrycast.backtest.Evaluation;
import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.TimestampFormat;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.DoubleSummaryStatistics;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.DoubleStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The demo's report: per city, the observed target over the scored period with the model's forecast for
 * each day, shaded by its prediction intervals as published, and the persistence baseline (yesterday's
 * value), as a PNG, and an HTML page that embeds the same PNG with the score, interval and anomaly tables,
 * so the page is one self-contained file.
 */
final class DemoReport {

    private static final int PANEL_WIDTH = 1200;
    private static final int PANEL_HEIGHT = 360;
    private static final int MARGIN_LEFT = 60;
    private static final int MARGIN_RIGHT = 20;
    private static final int MARGIN_TOP = 40;
    private static final int MARGIN_BOTTOM = 40;
    private static final Color ACTUAL = new Color(30, 30, 30);
    private static final Color MODEL = new Color(31, 119, 180);
    private static final Color PERSISTENCE = new Color(255, 127, 14);
    private static final int LEGEND_SPACING = 135;

    /**
     * What the report's tables show, as the demo computed them.
     *
     * @param nextDay          the next-day scores per city
     * @param steps            the scores per city and forecast step, with their intervals' tallies; a rollout
     *                         section is written when they go past step 1, an interval section when they have
     *                         intervals
     * @param live             the next-day scores per city the forecaster computed live
     * @param liveComparedWith the next-day scores from the forecast topic over the days the live ones cover
     * @param anomalies        per city, the anomaly records of the scored period; none: no anomaly section
     */
    record Scores(List<Evaluation.Score> nextDay, List<Evaluation.Score> steps, List<Evaluation.Score> live,
                  List<Evaluation.Score> liveComparedWith, List<Demo.AnomalyCount> anomalies) {
        static final Scores NONE = new Scores(List.of(), List.of(), List.of(), List.of(), List.of());
    }

    /**
     * A city's interval at one level around its next-day forecast: per target day whose bounds are both known,
     * {lower, upper}. A day without them (too few errors yet) is absent, and the band has a gap there.
     */
    private record Band(double level, TreeMap<Long, double[]> bounds) {
    }

    /** One city's series over the scored period, by target day; its bands by level, ascending. */
    private record Series(String key, TreeMap<Long, Double> actual, TreeMap<Long, Double> model,
                          TreeMap<Long, Double> persistence, List<Band> bands) {

        /**
         * Every value the panel plots. The y-axis is fitted to these and nothing else, so whatever a panel
         * draws (the interval bands too: their lower and upper bounds) has to come through here to stay in view.
         */
        DoubleStream plotted() {
            return DoubleStream.concat(Stream.of(actual, model, persistence).flatMap(line -> line.values().stream())
                    .mapToDouble(Double::doubleValue), bands.stream().flatMap(band -> band.bounds().values().stream())
                    .flatMapToDouble(DoubleStream::of));
        }
    }

    private final String target;
    private final List<Series> series;
    private final Scores scores;
    private final boolean resampled;
    private BufferedImage image;

    private DemoReport(String target, List<Series> series, Scores scores, boolean resampled) {
        this.target = target;
        this.series = series;
        this.scores = scores;
        this.resampled = resampled;
    }

    static DemoReport of(ModelCard card, List<ObjectNode> events, List<Forecast> forecasts, Scores scores, long from,
                         long until) {
        String target = card.targets().get(0).field();
        TimestampFormat iso = TimestampFormat.of("iso");
        Map<String, TreeMap<Long, Double>> actual = new TreeMap<>();
        for (ObjectNode event : events) {
            actual.computeIfAbsent(event.get("location").asText(), k -> new TreeMap<>())
                    .put(iso.parse(event.get("date").asText()), event.get(target).asDouble());
        }
        List<Series> series = new ArrayList<>();
        for (Map.Entry<String, TreeMap<Long, Double>> city : actual.entrySet()) {
            series.add(series(city.getKey(), city.getValue(), forecasts, target, from, until));
        }
        return new DemoReport(target, series, scores, card.resamples());
    }

    /** A city's series from its observed values over all days and the forecasts of every city. */
    private static Series series(String key, TreeMap<Long, Double> observed, List<Forecast> forecasts, String target,
                                 long from, long until) {
        TreeMap<Long, Double> model = new TreeMap<>();
        TreeMap<Long, Double> persistence = new TreeMap<>();
        Map<Double, TreeMap<Long, double[]>> bands = new TreeMap<>();
        for (Forecast forecast : forecasts) {
            Forecast.Point next = forecast.points().get(0);
            if (!forecast.key().equals(key) || next.targetTimeMs() < from || next.targetTimeMs() >= until) {
                continue;
            }
            model.put(next.targetTimeMs(), next.values().get(target));
            Double today = observed.get(forecast.eventTimeMs());
            if (today != null) {
                persistence.put(next.targetTimeMs(), today);
            }
            for (Forecast.Interval interval : next.intervals()) {
                TreeMap<Long, double[]> band = bands.computeIfAbsent(interval.level(), level -> new TreeMap<>());
                Double lower = interval.lower().get(target);
                Double upper = interval.upper().get(target);
                if (lower != null && upper != null) {
                    band.put(next.targetTimeMs(), new double[] {lower, upper});
                }
            }
        }
        return new Series(key, new TreeMap<>(observed.subMap(from, until)), model, persistence,
                bands.entrySet().stream().map(band -> new Band(band.getKey(), band.getValue())).toList());
    }

    /** A level as a percentage without trailing zeros: 0.8 reads 80, 0.975 reads 97.5. */
    static String percent(double level) {
        return BigDecimal.valueOf(level).movePointRight(2).stripTrailingZeros().toPlainString();
    }

    /**
     * The fill of the band at {@code index} of {@code count} levels, ascending: the forecast line's colour
     * paled, the wider band of a higher level paler, so that the narrower one shows inside it.
     */
    static Color bandColor(int index, int count) {
        double weight = count == 1 ? 0.3 : 0.35 - 0.2 * index / (count - 1);
        return new Color(pale(MODEL.getRed(), weight), pale(MODEL.getGreen(), weight), pale(MODEL.getBlue(), weight));
    }

    private static int pale(int channel, double weight) {
        return (int) Math.round(255 + (channel - 255) * weight);
    }

    Path writePng(Path file) throws IOException {
        ImageIO.write(image(), "png", file.toFile());
        return file;
    }

    Path writeHtml(Path file) throws IOException {
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image(), "png", png);
        StringBuilder html = new StringBuilder();
        html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>carrycast demo report</title>\n")
                .append("<style>body{font-family:sans-serif;margin:2em;max-width:1250px}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}th{background:#f4f4f4}")
                .append("td:first-child{text-align:left}img{max-width:100%}</style></head><body>\n")
                .append("<h1>carrycast demo: next-day ").append(target).append(", 2015</h1>\n")
                .append("<p>Forecasts consumed from Kafka, made by the stateful LSTM one event at a time. ")
                .append("Persistence: tomorrow equals today. Errors in the target's units.</p>\n")
                .append("<table><tr><th>city</th><th>n</th><th>MAE model</th><th>MAE persistence</th>")
                .append("<th>RMSE model</th><th>RMSE persistence</th></tr>\n");
        for (Evaluation.Score s : scores.nextDay()) {
            html.append(String.format(Locale.ROOT,
                    "<tr><td>%s</td><td>%d</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>%n",
                    escape(s.key()), s.count(), s.maeModel(), s.maePersistence(), s.rmseModel(), s.rmsePersistence()));
        }
        html.append("</table>\n");
        appendLive(html);
        appendRollout(html);
        appendIntervals(html);
        appendAnomalies(html);
        appendChart(html, png.toByteArray());
        html.append("</body></html>\n");
        Files.writeString(file, html, StandardCharsets.UTF_8);
        return file;
    }

    /** The live scores next to the ones computed from the forecast topic: they must agree. */
    private void appendLive(StringBuilder html) {
        html.append("<h2>Live scores</h2>\n<p>Scored by the running forecaster as each actual arrived (one record ")
                .append("per forecast value on its scores topic), next-day, ")
                .append(resampled ? "each day's bucket of readings (its aggregates are the actuals), target days in "
                        + "2015 up to 30 December: the last day's bucket stays open, no later reading closes it.</p>\n"
                        : "target days in 2015.</p>\n")
                .append("<table><tr><th>city</th><th>n</th><th>MAE live</th><th>MAE from the forecast topic</th>")
                .append("<th>MAE persistence live</th><th>skill live</th></tr>\n");
        for (Evaluation.Score live : scores.live()) {
            Evaluation.Score offline = scores.liveComparedWith().stream().filter(s -> s.key().equals(live.key()))
                    .findFirst().orElse(null);
            html.append(String.format(Locale.ROOT,
                    "<tr><td>%s</td><td>%d</td><td>%.6f</td><td>%s</td><td>%.6f</td><td>%.3f</td></tr>%n",
                    escape(live.key()), live.count(), live.maeModel(),
                    offline == null ? "-" : String.format(Locale.ROOT, "%.6f", offline.maeModel()),
                    live.maePersistence(), 1 - live.maeModel() / live.maePersistence()));
        }
        html.append("</table>\n");
    }

    /** MAE per forecast step and city, model against persistence: how the error grows with the days ahead. */
    private void appendRollout(StringBuilder html) {
        if (scores.steps().stream().noneMatch(s -> s.step() > 1)) {
            return;
        }
        html.append("<h2>Rollout: ").append(target).append(" up to ")
                .append(scores.steps().stream().mapToInt(Evaluation.Score::step).max().orElse(1))
                .append(" days ahead, 2015</h2>\n")
                .append("<p>After each day's forecast the model was stepped on, on a copy of the city's state, with ")
                .append("inputs built as the card's rollout block says (its own forecasts fed back). Each step is ")
                .append("scored on its own; persistence for step k: the value k days later equals today's.</p>\n")
                .append("<table><tr><th>city</th><th>step (days ahead)</th><th>n</th><th>MAE model</th>")
                .append("<th>MAE persistence</th><th>RMSE model</th><th>RMSE persistence</th></tr>\n");
        for (Evaluation.Score s : scores.steps()) {
            html.append(String.format(Locale.ROOT,
                    "<tr><td>%s</td><td>%d</td><td>%d</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>%n",
                    escape(s.key()), s.step(), s.count(), s.maeModel(), s.maePersistence(), s.rmseModel(),
                    s.rmsePersistence()));
        }
        html.append("</table>\n");
    }

    /**
     * Per city, step and level: how many values had an interval, the share of 2015 actuals inside it and its
     * mean width, from the bounds the forecasts were published with.
     */
    private void appendIntervals(StringBuilder html) {
        List<Double> levels = levels();
        if (levels.isEmpty()) {
            return;
        }
        html.append("<h2>Prediction intervals: coverage and width, 2015</h2>\n")
                .append("<p>Each forecast step carried an interval per level, computed by the forecaster from the ")
                .append("city's own last ").append(Demo.INTERVALS.window()).append(" errors of that step (split ")
                .append("conformal). Coverage: the percentage of actuals inside the interval as published (bounds ")
                .append("included); width: upper minus lower, in the target's units.</p>\n")
                .append("<table><tr><th>city</th><th>step (days ahead)</th>");
        for (double level : levels) {
            String at = percent(level) + " %";
            html.append("<th>n ").append(at).append("</th><th>coverage ").append(at).append(" (%)</th><th>mean width ")
                    .append(at).append("</th>");
        }
        html.append("</tr>\n");
        for (Evaluation.Score s : scores.steps()) {
            html.append("<tr><td>").append(escape(s.key())).append("</td><td>").append(s.step()).append("</td>");
            for (double level : levels) {
                IntervalTally tally = s.intervals().getOrDefault(level, IntervalTally.EMPTY);
                html.append(String.format(Locale.ROOT, "<td>%d</td><td>%.1f</td><td>%.2f</td>", tally.count(),
                        100 * tally.coverage(), tally.meanWidth()));
            }
            html.append("</tr>\n");
        }
        html.append("</table>\n");
    }

    /** The interval levels the scored forecasts carried, ascending. */
    private List<Double> levels() {
        return scores.steps().stream().flatMap(s -> s.intervals().keySet().stream()).distinct().sorted().toList();
    }

    /** Per city and in total, the days whose actual fell outside a forecast's interval at the anomaly level. */
    private void appendAnomalies(StringBuilder html) {
        if (scores.anomalies().isEmpty()) {
            return;
        }
        html.append("<h2>Anomalies, 2015</h2>\n<p>Read from topic ").append(Demo.ANOMALIES_TOPIC)
                .append(": one record per actual outside the ").append(percent(Demo.ANOMALY_LEVEL))
                .append(" % interval of a forecast that targeted it, so up to one per forecast step; a day counts ")
                .append("once however many of its forecasts it fell outside.</p>\n")
                .append("<table><tr><th>city</th><th>days flagged</th><th>by the next-day forecast</th>")
                .append("<th>records (all steps)</th></tr>\n");
        for (Demo.AnomalyCount count : Stream.concat(scores.anomalies().stream(),
                Stream.of(Anomalies.total(scores.anomalies()))).toList()) {
            html.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td></tr>%n",
                    escape(count.key()), count.days(), count.nextDay(), count.records()));
        }
        html.append("</table>\n");
    }

    private void appendChart(StringBuilder html, byte[] png) {
        List<String> levels = series.stream().flatMap(s -> s.bands().stream().map(Band::level)).distinct().sorted()
                .map(level -> percent(level) + " %").toList();
        boolean bands = !levels.isEmpty();
        if (bands) {
            html.append("<p>Shaded around the next-day forecast: its ").append(String.join(" and ", levels))
                    .append(" intervals as published (the higher level lighter); a gap where the city had too few ")
                    .append("errors of that step yet.</p>\n");
        }
        html.append("<p><img alt=\"actual, forecast").append(bands ? " with its intervals" : "")
                .append(" and persistence per city\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png)).append("\"></p>\n");
    }

    private BufferedImage image() {
        if (image == null) {
            image = new BufferedImage(PANEL_WIDTH, PANEL_HEIGHT * series.size(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                g.setColor(Color.WHITE);
                g.fillRect(0, 0, image.getWidth(), image.getHeight());
                for (int i = 0; i < series.size(); i++) {
                    drawPanel(g, series.get(i), i * PANEL_HEIGHT);
                }
            } finally {
                g.dispose();
            }
        }
        return image;
    }

    /** The y-axis of a city's panel; empty when the city has nothing to plot. */
    Optional<ValueAxis> valueAxis(String key) {
        return series.stream().filter(s -> s.key().equals(key)).findFirst().flatMap(DemoReport::valueAxis);
    }

    private static Optional<ValueAxis> valueAxis(Series s) {
        DoubleSummaryStatistics values = s.plotted().summaryStatistics();
        return values.getCount() == 0 ? Optional.empty()
                : Optional.of(ValueAxis.covering(values.getMin(), values.getMax()));
    }

    private void drawPanel(Graphics2D g, Series s, int top) {
        Optional<ValueAxis> fitted = valueAxis(s);
        if (fitted.isEmpty() || s.actual().isEmpty()) {
            return;
        }
        ValueAxis values = fitted.get();
        long first = s.actual().firstKey();
        long last = s.actual().lastKey();
        int plotWidth = PANEL_WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
        int plotHeight = PANEL_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM;
        Axis axis = new Axis(first, last, values.low(), values.high(), MARGIN_LEFT, top + MARGIN_TOP, plotWidth,
                plotHeight);

        // The wider band first, so that the narrower one shows inside it; grid and frame over them, to read
        // the bounds off the ticks.
        for (int i = s.bands().size() - 1; i >= 0; i--) {
            drawBand(g, axis, s.model().keySet(), s.bands().get(i), bandColor(i, s.bands().size()));
        }
        g.setColor(new Color(230, 230, 230));
        g.setStroke(new BasicStroke(1f));
        for (double v : values.ticks()) {
            g.drawLine(MARGIN_LEFT, axis.y(v), MARGIN_LEFT + plotWidth, axis.y(v));
        }
        g.setColor(Color.GRAY);
        g.drawRect(MARGIN_LEFT, top + MARGIN_TOP, plotWidth, plotHeight);
        drawLine(g, axis, s.persistence(), PERSISTENCE, 1.2f);
        drawLine(g, axis, s.actual(), ACTUAL, 1.6f);
        drawLine(g, axis, s.model(), MODEL, 1.6f);
        drawText(g, s, top, axis, values);
    }

    /** Labels need a font; on a host without any, the chart is still drawn, just unlabelled. */
    private void drawText(Graphics2D g, Series s, int top, Axis axis, ValueAxis values) {
        try {
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.setColor(Color.BLACK);
            g.drawString(s.key() + ": next-day " + target + " (°C), 2015", MARGIN_LEFT, top + 25);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            for (double v : values.ticks()) {
                g.drawString(values.label(v), 20, axis.y(v) + 4);
            }
            for (int month = 1; month <= 12; month++) {
                long t = Instant.ofEpochMilli(s.actual().firstKey()).atZone(ZoneOffset.UTC).withMonth(month)
                        .withDayOfMonth(1).toInstant().toEpochMilli();
                g.drawString(java.time.Month.of(month).getDisplayName(java.time.format.TextStyle.SHORT, Locale.ROOT),
                        axis.x(t), top + PANEL_HEIGHT - 15);
            }
            int entries = 3 + s.bands().size();
            legend(g, top, "observed", ACTUAL, 0, entries, false);
            legend(g, top, "model forecast", MODEL, 1, entries, false);
            legend(g, top, "persistence", PERSISTENCE, 2, entries, false);
            for (int i = 0; i < s.bands().size(); i++) {
                legend(g, top, percent(s.bands().get(i).level()) + " % interval", bandColor(i, s.bands().size()),
                        3 + i, entries, true);
            }
        } catch (RuntimeException | Error noFont) {
            // Headless JDKs without fontconfig fonts throw here; the lines above are already drawn.
        }
    }

    /** One of {@code entries} legend entries, right-aligned: a line's stroke, or a band's swatch. */
    private static void legend(Graphics2D g, int top, String label, Color color, int index, int entries,
                               boolean area) {
        int x = PANEL_WIDTH - MARGIN_RIGHT - (entries - index) * LEGEND_SPACING;
        g.setColor(color);
        g.fillRect(x, area ? top + 11 : top + 15, 18, area ? 12 : 4);
        g.setColor(Color.BLACK);
        g.drawString(label, x + 24, top + 21);
    }

    /**
     * The band filled between its bounds over the forecast's days, one area per run of consecutive days that
     * have both bounds, so a day without them leaves a gap.
     */
    private static void drawBand(Graphics2D g, Axis axis, Set<Long> days, Band band, Color color) {
        g.setColor(color);
        List<Long> run = new ArrayList<>();
        for (long day : days) {
            if (band.bounds().containsKey(day)) {
                run.add(day);
            } else {
                fillRun(g, axis, band, run);
                run.clear();
            }
        }
        fillRun(g, axis, band, run);
    }

    private static void fillRun(Graphics2D g, Axis axis, Band band, List<Long> run) {
        if (run.size() < 2) {
            return;
        }
        Polygon area = new Polygon();
        for (long day : run) {
            area.addPoint(axis.x(day), axis.y(band.bounds().get(day)[1]));
        }
        for (int i = run.size() - 1; i >= 0; i--) {
            area.addPoint(axis.x(run.get(i)), axis.y(band.bounds().get(run.get(i))[0]));
        }
        g.fill(area);
    }

    private static void drawLine(Graphics2D g, Axis axis, TreeMap<Long, Double> points, Color color, float width) {
        g.setColor(color);
        g.setStroke(new BasicStroke(width));
        Map.Entry<Long, Double> previous = null;
        for (Map.Entry<Long, Double> point : points.entrySet()) {
            if (previous != null) {
                g.drawLine(axis.x(previous.getKey()), axis.y(previous.getValue()), axis.x(point.getKey()),
                        axis.y(point.getValue()));
            }
            previous = point;
        }
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private record Axis(long first, long last, double low, double high, int left, int top, int width, int height) {
        int x(long time) {
            return left + (int) Math.round((double) (time - first) / Math.max(1, last - first) * width);
        }

        int y(double value) {
            return top + height - (int) Math.round((value - low) / Math.max(1e-9, high - low) * height);
        }
    }
}
