package io.carrycast.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.backtest.Evaluation;
import io.carrycast.bundle.ModelCard;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.TimestampFormat;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
import java.util.TreeMap;
import java.util.stream.DoubleStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * The demo's report: per city, the observed target over the scored period with the model's forecast for
 * each day and the persistence baseline (yesterday's value), as a PNG, and an HTML page that embeds the
 * same PNG with the score table, so the page is one self-contained file.
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

    /** One city's series over the scored period, by target day. */
    private record Series(String key, TreeMap<Long, Double> actual, TreeMap<Long, Double> model,
                          TreeMap<Long, Double> persistence) {

        /**
         * Every value the panel plots. The y-axis is fitted to these and nothing else, so whatever a panel
         * draws (an interval band too: its lower and upper bounds) has to come through here to stay in view.
         */
        DoubleStream plotted() {
            return Stream.of(actual, model, persistence).flatMap(line -> line.values().stream())
                    .mapToDouble(Double::doubleValue);
        }
    }

    private final String target;
    private final List<Series> series;
    private final List<Evaluation.Score> scores;
    private final List<Evaluation.Score> stepScores;
    private final List<Evaluation.Score> liveScores;
    private final List<Evaluation.Score> liveComparedWith;
    private final boolean resampled;
    private BufferedImage image;

    private DemoReport(String target, List<Series> series, List<Evaluation.Score> scores,
                       List<Evaluation.Score> stepScores, List<Evaluation.Score> liveScores,
                       List<Evaluation.Score> liveComparedWith, boolean resampled) {
        this.target = target;
        this.series = series;
        this.scores = scores;
        this.stepScores = stepScores;
        this.liveScores = liveScores;
        this.liveComparedWith = liveComparedWith;
        this.resampled = resampled;
    }

    /**
     * @param scores     the next-day scores per city
     * @param stepScores the scores per city and forecast step; a rollout section is written when they go
     *                   past step 1
     * @param liveScores the next-day scores per city the forecaster computed live
     * @param liveComparedWith the next-day scores from the forecast topic over the days the live ones cover
     */
    static DemoReport of(ModelCard card, List<ObjectNode> events, List<Forecast> forecasts,
                         List<Evaluation.Score> scores, List<Evaluation.Score> stepScores,
                         List<Evaluation.Score> liveScores, List<Evaluation.Score> liveComparedWith, long from,
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
            TreeMap<Long, Double> observed = new TreeMap<>(city.getValue().subMap(from, until));
            TreeMap<Long, Double> model = new TreeMap<>();
            TreeMap<Long, Double> persistence = new TreeMap<>();
            for (Forecast forecast : forecasts) {
                Forecast.Point next = forecast.points().get(0);
                if (forecast.key().equals(city.getKey()) && next.targetTimeMs() >= from && next.targetTimeMs() < until) {
                    model.put(next.targetTimeMs(), next.values().get(target));
                    Double today = city.getValue().get(forecast.eventTimeMs());
                    if (today != null) {
                        persistence.put(next.targetTimeMs(), today);
                    }
                }
            }
            series.add(new Series(city.getKey(), observed, model, persistence));
        }
        return new DemoReport(target, series, scores, stepScores, liveScores, liveComparedWith, card.resamples());
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
        for (Evaluation.Score s : scores) {
            html.append(String.format(Locale.ROOT,
                    "<tr><td>%s</td><td>%d</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>%n",
                    escape(s.key()), s.count(), s.maeModel(), s.maePersistence(), s.rmseModel(), s.rmsePersistence()));
        }
        html.append("</table>\n");
        appendLive(html);
        appendRollout(html);
        html.append("<p><img alt=\"actual, forecast and persistence per city\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png.toByteArray()))
                .append("\"></p>\n</body></html>\n");
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
        for (Evaluation.Score live : liveScores) {
            Evaluation.Score offline = liveComparedWith.stream().filter(s -> s.key().equals(live.key())).findFirst()
                    .orElse(null);
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
        if (stepScores.stream().noneMatch(s -> s.step() > 1)) {
            return;
        }
        html.append("<h2>Rollout: ").append(target).append(" up to ")
                .append(stepScores.stream().mapToInt(Evaluation.Score::step).max().orElse(1))
                .append(" days ahead, 2015</h2>\n")
                .append("<p>After each day's forecast the model was stepped on, on a copy of the city's state, with ")
                .append("inputs built as the card's rollout block says (its own forecasts fed back). Each step is ")
                .append("scored on its own; persistence for step k: the value k days later equals today's.</p>\n")
                .append("<table><tr><th>city</th><th>step (days ahead)</th><th>n</th><th>MAE model</th>")
                .append("<th>MAE persistence</th><th>RMSE model</th><th>RMSE persistence</th></tr>\n");
        for (Evaluation.Score s : stepScores) {
            html.append(String.format(Locale.ROOT,
                    "<tr><td>%s</td><td>%d</td><td>%d</td><td>%.3f</td><td>%.3f</td><td>%.3f</td><td>%.3f</td></tr>%n",
                    escape(s.key()), s.step(), s.count(), s.maeModel(), s.maePersistence(), s.rmseModel(),
                    s.rmsePersistence()));
        }
        html.append("</table>\n");
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
            legend(g, top, "observed", ACTUAL, 0);
            legend(g, top, "model forecast", MODEL, 1);
            legend(g, top, "persistence", PERSISTENCE, 2);
        } catch (RuntimeException | Error noFont) {
            // Headless JDKs without fontconfig fonts throw here; the lines above are already drawn.
        }
    }

    private static void legend(Graphics2D g, int top, String label, Color color, int index) {
        int x = PANEL_WIDTH - 420 + index * 135;
        g.setColor(color);
        g.fillRect(x, top + 15, 18, 4);
        g.setColor(Color.BLACK);
        g.drawString(label, x + 24, top + 21);
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
