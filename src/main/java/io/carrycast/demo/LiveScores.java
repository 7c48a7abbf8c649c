package io.carrycast.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.carrycast.accuracy.ErrorTally;
import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.backtest.Evaluation;
import io.carrycast.bundle.ModelCard;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The demo's live scores: what the forecaster wrote to its scores topic, summed per city. */
final class LiveScores {

    private LiveScores() {
    }

    /** Every committed score record on the topic (call after the forecaster has stopped). */
    static List<Score> consume(String bootstrapServers, String topic) {
        return CommittedRecords.readAll(bootstrapServers, topic, ScoreJson::read);
    }

    /** Per city, the next-day scores of the card's first target for target times in [from, until). */
    static List<Evaluation.Score> nextDay(ModelCard card, List<Score> scores, long from, long until) {
        String target = card.targets().get(0).field();
        Map<String, List<Score>> byCity = new TreeMap<>();
        for (Score score : scores) {
            if (score.step() == 1 && score.target().equals(target) && score.targetTimeMs() >= from
                    && score.targetTimeMs() < until) {
                byCity.computeIfAbsent(score.key(), k -> new ArrayList<>()).add(score);
            }
        }
        List<Evaluation.Score> perCity = new ArrayList<>();
        byCity.forEach((city, list) -> {
            ErrorTally tally = ErrorTally.EMPTY;
            for (Score score : list) {
                tally = tally.add(score.error(), score.persistenceError());
            }
            perCity.add(Evaluation.Score.of(city, target, 1, tally));
        });
        return perCity;
    }

    /**
     * The forecaster's own {@code GET /accuracy} table, as text: every model version, target and step it scored
     * since it started, over all cities and the whole replay; or why it could not be read.
     */
    static String endpointTable(int httpPort) {
        if (httpPort <= 0) {
            return "(the HTTP endpoint is off)\n";
        }
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/accuracy")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode table = new ObjectMapper().readTree(response.body());
            StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-16s %-8s %-10s %4s %6s %10s %10s %10s%n",
                    "model", "version", "target", "step", "n", "MAE", "MAE pers.", "skill"));
            for (JsonNode row : table.path("rows")) {
                JsonNode since = row.get("since_start");
                out.append(String.format(Locale.ROOT, "%-16s %-8s %-10s %4d %6d %10.3f %10.3f %10.4f%n",
                        row.get("model").asText(), row.get("version").asText(), row.get("target").asText(),
                        row.get("step").asInt(), since.get("n").asLong(), since.get("mae").asDouble(),
                        since.get("persistence_mae").asDouble(), since.get("skill").asDouble()));
            }
            return out.toString();
        } catch (IOException e) {
            return "(GET /accuracy failed: " + e.getMessage() + ")\n";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(interrupted while reading GET /accuracy)\n";
        }
    }

    /** A text table: per city, the live MAE beside the one computed from the forecast topic, and their difference. */
    static String comparison(List<Evaluation.Score> live, List<Evaluation.Score> fromTopic) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%-16s %6s %14s %14s %10s %14s%n", "key",
                "n", "MAE live", "MAE topic", "|diff|", "skill live"));
        for (Evaluation.Score score : live) {
            Evaluation.Score offline = fromTopic.stream().filter(s -> s.key().equals(score.key())).findFirst()
                    .orElse(null);
            double topicMae = offline == null ? Double.NaN : offline.maeModel();
            out.append(String.format(Locale.ROOT, "%-16s %6d %14.9f %14.9f %10.2e %14.4f%n", score.key(), score.count(),
                    score.maeModel(), topicMae, Math.abs(score.maeModel() - topicMae),
                    1 - score.maeModel() / score.maePersistence()));
        }
        return out.toString();
    }
}
