package io.carrycast.demo;

import io.carrycast.accuracy.Score;
import io.carrycast.accuracy.ScoreJson;
import io.carrycast.backtest.Evaluation;
import io.carrycast.bundle.ModelCard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** The demo's live scores: what the forecaster wrote to its scores topic, summed per city. */
final class LiveScores {

    private LiveScores() {
    }

    /** Every committed score record on the topic, read to its end (call after the forecaster has stopped). */
    static List<Score> consume(String bootstrapServers, String topic) {
        List<Score> scores = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            Set<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toSet());
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    scores.add(ScoreJson.read(record.value()));
                }
            }
        }
        return scores;
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
            double abs = 0;
            double squared = 0;
            double persistenceAbs = 0;
            double persistenceSquared = 0;
            for (Score score : list) {
                abs += Math.abs(score.error());
                squared += score.error() * score.error();
                persistenceAbs += Math.abs(score.persistenceError());
                persistenceSquared += score.persistenceError() * score.persistenceError();
            }
            int n = list.size();
            perCity.add(new Evaluation.Score(city, target, 1, n, abs / n, Math.sqrt(squared / n), persistenceAbs / n,
                    Math.sqrt(persistenceSquared / n)));
        });
        return perCity;
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
