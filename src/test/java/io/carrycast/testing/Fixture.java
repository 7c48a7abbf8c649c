package io.carrycast.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.bundle.ModelCard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A model bundle exported by {@code tools/export_fixtures.py} (or, for the {@code rollout_*} ones,
 * {@code tools/rollout_reference.py}) with PyTorch's outputs for a few keys' events ({@code expected.json}):
 * per key, its raw events and, per event, the normalised forecast PyTorch computed, every forecast step's
 * (null where a window model has no full window yet).
 */
public final class Fixture {

    public static final List<String> NAMES =
            List.of("rnn", "lstm", "gru", "lstm_stacked", "lstm_multi", "bilstm_window");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Path directory;
    private final JsonNode expected;

    private Fixture(String name, Path directory, JsonNode expected) {
        this.name = name;
        this.directory = directory;
        this.expected = expected;
    }

    public static Fixture load(String name) {
        try {
            Path directory = Path.of(Fixture.class.getResource("/fixtures/" + name).toURI());
            return new Fixture(name, directory, JSON.readTree(directory.resolve("expected.json").toFile()));
        } catch (URISyntaxException | IOException e) {
            throw new IllegalStateException("fixture " + name + " cannot be read", e);
        }
    }

    public String name() {
        return name;
    }

    public Path directory() {
        return directory;
    }

    public ModelBundle bundle() {
        return ModelBundle.load(directory);
    }

    public ModelCard card() {
        return bundle().card();
    }

    public double tolerance() {
        return expected.get("tolerance").doubleValue();
    }

    public List<String> keys() {
        List<String> keys = new ArrayList<>();
        expected.get("keys").fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    /** The key's events as JSON values with a {@code time} field, in order. */
    public List<Event> events(String key) {
        List<Event> events = new ArrayList<>();
        for (JsonNode event : expected.get("keys").get(key).get("events")) {
            ObjectNode value = JSON.createObjectNode();
            value.put("time", event.get("time").textValue());
            for (Iterator<Map.Entry<String, JsonNode>> it = event.get("fields").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                value.set(field.getKey(), field.getValue());
            }
            events.add(new Event(key, Instant.parse(event.get("time").textValue()).toEpochMilli(), value));
        }
        return events;
    }

    /** PyTorch's normalised outputs per event of the key; null entries where no forecast is due. */
    public List<float[]> expectedOutputs(String key) {
        List<float[]> outputs = new ArrayList<>();
        for (JsonNode row : expected.get("keys").get(key).get("outputs")) {
            if (row.isNull()) {
                outputs.add(null);
                continue;
            }
            float[] values = new float[row.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) row.get(i).doubleValue();
            }
            outputs.add(values);
        }
        return outputs;
    }

    /**
     * For the {@code resample_*} fixtures ({@code tools/resample_reference.py}): per bucket of the key that held
     * events, in order, what PyTorch computed for it.
     */
    public List<ExpectedBucket> expectedBuckets(String key) {
        List<ExpectedBucket> buckets = new ArrayList<>();
        for (JsonNode bucket : expected.get("keys").get(key).get("buckets")) {
            JsonNode outputs = bucket.get("outputs");
            float[] values = new float[outputs.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) outputs.get(i).doubleValue();
            }
            Map<String, Double> aggregates = new java.util.LinkedHashMap<>();
            bucket.get("values").fields().forEachRemaining(field -> aggregates.put(field.getKey(),
                    field.getValue().doubleValue()));
            buckets.add(new ExpectedBucket(Instant.parse(bucket.get("start").textValue()).toEpochMilli(),
                    bucket.get("events").intValue(), bucket.get("filled_before").intValue(), values, aggregates));
        }
        return buckets;
    }

    /**
     * One resampled bucket as the reference stepped it: its start, events, fills before it, normalised outputs,
     * and its aggregate per event field in raw units.
     */
    public record ExpectedBucket(long startMs, int events, int filledBefore, float[] outputs, Map<String, Double> values) {
    }

    /** All keys' events in time order (ties in key order): how a stream of irregular events interleaves. */
    public List<Event> eventsInTimeOrder() {
        List<Event> all = new ArrayList<>();
        keys().forEach(key -> all.addAll(events(key)));
        all.sort(java.util.Comparator.comparingLong(Event::timeMs));
        return all;
    }

    /** All keys' events, round-robin: the first event of every key, then the second, and so on. */
    public List<Event> interleavedEvents() {
        Map<String, List<Event>> byKey = new LinkedHashMap<>();
        keys().forEach(key -> byKey.put(key, events(key)));
        List<Event> interleaved = new ArrayList<>();
        int longest = byKey.values().stream().mapToInt(List::size).max().orElse(0);
        for (int i = 0; i < longest; i++) {
            for (List<Event> events : byKey.values()) {
                if (i < events.size()) {
                    interleaved.add(events.get(i));
                }
            }
        }
        return interleaved;
    }

    /** One raw event: its series key, event time and JSON value. */
    public record Event(String key, long timeMs, ObjectNode value) {
        public byte[] bytes() {
            return value.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Copies the fixture's bundle to {@code target} with its card changed by {@code edit}. */
    public Path copyWithCard(Path target, Consumer<ObjectNode> edit) {
        copyTo(target);
        Path card = target.resolve(ModelBundle.CARD_FILE);
        try {
            ObjectNode json = (ObjectNode) JSON.readTree(card.toFile());
            edit.accept(json);
            Files.writeString(card, JSON.writeValueAsString(json));
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies the fixture's bundle to {@code target}, for tests that change one file of it. */
    public Path copyTo(Path target) {
        try {
            Files.createDirectories(target);
            for (String file : List.of(ModelBundle.MODEL_FILE, ModelBundle.CARD_FILE)) {
                Files.copy(directory.resolve(file), target.resolve(file));
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
