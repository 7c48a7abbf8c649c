package io.carrycast.bundle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntFunction;

/**
 * Reads {@code model.json}. Every rule the card must satisfy on its own lives here; the rules that need
 * the ONNX graph live in the runner. Each violation is reported as one message naming the file, the
 * field, the value found and the rule.
 */
final class ModelCardParser {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> CARD_FIELDS = Set.of("name", "version", "mode", "window", "cadence",
            "timezone", "features", "targets", "horizon", "network", "tensors", "rollout", "resample", "description");
    private static final Set<String> FEATURE_FIELDS = Set.of("field", "calendar", "mean", "std");
    private static final Set<String> TARGET_FIELDS = Set.of("field", "mean", "std", "quantiles");
    private static final Set<String> NETWORK_FIELDS = Set.of("cell", "layers", "hidden", "bidirectional");
    private static final Set<String> TENSOR_FIELDS = Set.of("input", "output", "layout", "state");
    private static final Set<String> PAIR_FIELDS = Set.of("input", "output");
    private static final Set<String> ROLLOUT_FIELDS = Set.of("steps", "inputs");
    private static final Set<String> RESAMPLE_FIELDS = Set.of("default", "fields", "empty", "max_fill");
    private static final Set<String> FROM_TARGET_FIELDS = Set.of("from_target");
    private static final String FIELD_INPUT_FORMS = "\"hold\" or {\"from_target\": TARGET}";

    private final Path file;

    private ModelCardParser(Path file) {
        this.file = file;
    }

    public static ModelCard parse(Path cardFile) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(cardFile));
        } catch (JsonProcessingException e) {
            throw new InvalidModelException(cardFile + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new InvalidModelException(cardFile + ": cannot be read: " + e, e);
        }
        return new ModelCardParser(cardFile).card(root);
    }

    private ModelCard card(JsonNode root) {
        requireObject(root, "(top level)", CARD_FIELDS);
        Mode mode = enumValue(root, "mode", Mode.class);
        int window = root.has("window") ? integer(root, "window") : 0;
        if (window < 0 || (mode == Mode.WINDOW && window < 1)) {
            throw invalid("window", root.get("window"),
                    mode == Mode.WINDOW ? "must be >= 1 in window mode" : "must be >= 0");
        }
        int horizon = integer(root, "horizon");
        if (horizon < 1) {
            throw invalid("horizon", root.get("horizon"), "must be >= 1");
        }
        NetworkSpec network = network(root.get("network"));
        TensorSpec tensors = tensors(root.get("tensors"));
        if (mode == Mode.STATEFUL && tensors.state() != null
                && tensors.state().size() != network.cell().stateTensors()) {
            throw invalid("tensors.state", root.get("tensors").get("state"), "a stateful "
                    + network.cell().cardName() + " carries " + network.cell().stateTensors() + " state tensor(s)");
        }
        List<FeatureSpec> features = list(root, "features", i -> feature(root.get("features").get(i), i));
        List<TargetSpec> targets = list(root, "targets", i -> target(root.get("targets").get(i), i));
        List<Double> quantiles = quantiles(root.get("targets"));
        Rollout rollout = root.has("rollout") ? rollout(root.get("rollout"), horizon, features, targets) : null;
        Duration cadence = cadence(root);
        Resample resample = root.has("resample") ? resample(root.get("resample"), cadence, features) : null;
        return new ModelCard(text(root, "name"), text(root, "version"), mode, window, cadence,
                timezone(root), features, targets, horizon, network, tensors, rollout, resample, quantiles);
    }

    /**
     * The quantiles the model outputs, declared on every target alike (the model has one quantile head). The
     * median is the point forecast and each pair (q, 1 - q) an interval at level 1 - 2q, so the list must hold
     * 0.5 and be symmetric.
     */
    private List<Double> quantiles(JsonNode targets) {
        List<Double> first = quantilesOf(targets.get(0), 0);
        for (int i = 1; i < targets.size(); i++) {
            if (!quantilesOf(targets.get(i), i).equals(first)) {
                throw invalid("targets[" + i + "].quantiles", targets.get(i).get("quantiles"), "must equal "
                        + "targets[0].quantiles " + (first.isEmpty() ? "(none declared)" : targets.get(0).get("quantiles"))
                        + ": every target of a card declares the same quantiles (one quantile head)");
            }
        }
        return first;
    }

    private List<Double> quantilesOf(JsonNode target, int index) {
        String path = "targets[" + index + "].quantiles";
        JsonNode node = target.get("quantiles");
        if (node == null) {
            return List.of();
        }
        if (!node.isArray() || node.isEmpty()) {
            throw invalid(path, node, "must be a non-empty list of numbers");
        }
        List<BigDecimal> exact = new ArrayList<>(node.size());
        for (JsonNode q : node) {
            if (!q.isNumber() || !(q.doubleValue() > 0 && q.doubleValue() < 1)) {
                throw invalid(path, node, "must hold numbers strictly between 0 and 1");
            }
            BigDecimal value = BigDecimal.valueOf(q.doubleValue());
            if (!exact.isEmpty() && value.compareTo(exact.get(exact.size() - 1)) <= 0) {
                throw invalid(path, node, "must be strictly ascending");
            }
            exact.add(value);
        }
        if (exact.size() < 3) {
            throw invalid(path, node, "must hold at least 3 quantiles: the median and a pair (q, 1 - q)");
        }
        if (exact.stream().noneMatch(q -> q.compareTo(new BigDecimal("0.5")) == 0)) {
            throw invalid(path, node, "must contain 0.5: the median is the point forecast");
        }
        for (int i = 0; i < exact.size(); i++) {
            if (exact.get(i).add(exact.get(exact.size() - 1 - i)).compareTo(BigDecimal.ONE) != 0) {
                throw invalid(path, node, "must come in symmetric pairs (q, 1 - q) around 0.5, each pair the "
                        + "interval at level 1 - 2q; " + exact.get(i) + " has no partner "
                        + BigDecimal.ONE.subtract(exact.get(i)));
            }
        }
        return exact.stream().map(BigDecimal::doubleValue).toList();
    }

    /**
     * The rollout block. Every field feature must say how it is filled on future steps; calendar features
     * are computed for the future step's time and may be left out.
     */
    private Rollout rollout(JsonNode node, int horizon, List<FeatureSpec> features, List<TargetSpec> targets) {
        requireObject(node, "rollout", ROLLOUT_FIELDS);
        int steps = integer(node, "rollout.steps", "steps");
        if (steps <= horizon || steps % horizon != 0) {
            throw invalid("rollout.steps", node.get("steps"), "must be a multiple of the horizon (" + horizon
                    + ") greater than it: the model rolls out in blocks of its horizon");
        }
        JsonNode inputs = node.get("inputs");
        if (inputs == null || !inputs.isObject()) {
            throw invalid("rollout.inputs", inputs, "must be a JSON object from feature names to \"calendar\", "
                    + FIELD_INPUT_FORMS);
        }
        List<String> featureNames = features.stream().map(FeatureSpec::name).toList();
        for (Iterator<String> names = inputs.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!featureNames.contains(name)) {
                throw invalid("rollout.inputs." + name, inputs.get(name), "names no feature of the card; features: "
                        + featureNames);
            }
        }
        List<Rollout.Input> result = new ArrayList<>(features.size());
        for (FeatureSpec feature : features) {
            JsonNode declared = inputs.get(feature.name());
            if (declared == null && feature.isField()) {
                throw invalid("rollout.inputs", inputs, "has no entry for field feature '" + feature.name()
                        + "'; each field feature needs " + FIELD_INPUT_FORMS);
            }
            result.add(declared == null ? Rollout.Input.CALENDAR : rolloutInput(feature, declared, targets));
        }
        return new Rollout(steps, result);
    }

    /**
     * The resample block. Buckets are aligned to local midnight, so the cadence must divide a day; the
     * per-field aggregates must name fields the features read.
     */
    private Resample resample(JsonNode node, Duration cadence, List<FeatureSpec> features) {
        requireObject(node, "resample", RESAMPLE_FIELDS);
        if (Duration.ofDays(1).toMillis() % cadence.toMillis() != 0) {
            throw invalid("cadence", JSON.valueToTree(cadence.toString()), "must divide a day (such as PT15M, "
                    + "PT1H or P1D) when the card resamples: buckets are aligned to local midnight");
        }
        Resample.Aggregate defaultAggregate = node.has("default")
                ? enumValue(node, "resample", "default", Resample.Aggregate.class) : Resample.Aggregate.MEAN;
        java.util.Map<String, Resample.Aggregate> fields = new java.util.LinkedHashMap<>();
        JsonNode declared = node.get("fields");
        if (declared != null) {
            if (!declared.isObject()) {
                throw invalid("resample.fields", declared, "must be a JSON object from event fields to aggregates");
            }
            List<String> featureFields = features.stream().filter(FeatureSpec::isField).map(FeatureSpec::field)
                    .distinct().toList();
            for (Iterator<String> names = declared.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!featureFields.contains(name)) {
                    throw invalid("resample.fields." + name, declared.get(name), "names no field the features "
                            + "read; fields: " + featureFields);
                }
                fields.put(name, enumValue(declared, "resample.fields", name, Resample.Aggregate.class));
            }
        }
        Resample.Empty empty = node.has("empty")
                ? enumValue(node, "resample", "empty", Resample.Empty.class) : Resample.Empty.SKIP;
        int maxFill = node.has("max_fill") ? integer(node, "resample.max_fill", "max_fill") : 0;
        if (maxFill < 0) {
            throw invalid("resample.max_fill", node.get("max_fill"), "must be >= 0");
        }
        return new Resample(defaultAggregate, fields, empty, maxFill);
    }

    private Rollout.Input rolloutInput(FeatureSpec feature, JsonNode declared, List<TargetSpec> targets) {
        String path = "rollout.inputs." + feature.name();
        if (!feature.isField()) {
            if (!declared.isTextual() || !declared.textValue().equals("calendar")) {
                throw invalid(path, declared, "must be \"calendar\": a calendar feature is computed for each future "
                        + "step's time");
            }
            return Rollout.Input.CALENDAR;
        }
        if (declared.isTextual() && declared.textValue().equals("hold")) {
            return Rollout.Input.HOLD;
        }
        if (!declared.isObject()) {
            throw invalid(path, declared, "must be " + FIELD_INPUT_FORMS + " for a field feature (\"calendar\" is "
                    + "for calendar features)");
        }
        requireObject(declared, path, FROM_TARGET_FIELDS);
        String target = text(declared, path + ".from_target", "from_target");
        List<String> targetNames = targets.stream().map(TargetSpec::field).toList();
        if (!targetNames.contains(target)) {
            throw invalid(path + ".from_target", declared.get("from_target"), "must name a target of the card "
                    + targetNames);
        }
        return Rollout.Input.fromTarget(targetNames.indexOf(target));
    }

    private Duration cadence(JsonNode root) {
        String value = text(root, "cadence");
        try {
            Duration cadence = Duration.parse(value);
            if (cadence.isNegative() || cadence.isZero()) {
                throw invalid("cadence", root.get("cadence"), "must be a positive duration");
            }
            return cadence;
        } catch (DateTimeParseException e) {
            throw invalid("cadence", root.get("cadence"), "must be an ISO-8601 duration such as PT1H or P1D");
        }
    }

    private ZoneId timezone(JsonNode root) {
        if (!root.has("timezone")) {
            return ZoneOffset.UTC;
        }
        try {
            return ZoneId.of(text(root, "timezone"));
        } catch (DateTimeException e) {
            throw invalid("timezone", root.get("timezone"), "must be a zone id such as UTC or Europe/Berlin");
        }
    }

    private FeatureSpec feature(JsonNode node, int index) {
        String path = "features[" + index + "]";
        requireObject(node, path, FEATURE_FIELDS);
        boolean hasField = node.has("field");
        if (hasField == node.has("calendar")) {
            throw invalid(path, node, "must name exactly one of 'field' or 'calendar'");
        }
        CalendarFeature calendar = hasField ? null : enumValue(node, path, "calendar", CalendarFeature.class);
        String field = hasField ? text(node, path + ".field", "field") : null;
        return new FeatureSpec(field, calendar, number(node, path, "mean"), positive(node, path, "std"));
    }

    private TargetSpec target(JsonNode node, int index) {
        String path = "targets[" + index + "]";
        requireObject(node, path, TARGET_FIELDS);
        return new TargetSpec(text(node, path + ".field", "field"), number(node, path, "mean"),
                positive(node, path, "std"));
    }

    private NetworkSpec network(JsonNode node) {
        requireObject(node, "network", NETWORK_FIELDS);
        int layers = integer(node, "network.layers", "layers");
        int hidden = integer(node, "network.hidden", "hidden");
        if (layers < 1) {
            throw invalid("network.layers", node.get("layers"), "must be >= 1");
        }
        if (hidden < 1) {
            throw invalid("network.hidden", node.get("hidden"), "must be >= 1");
        }
        JsonNode bidirectional = node.get("bidirectional");
        if (bidirectional != null && !bidirectional.isBoolean()) {
            throw invalid("network.bidirectional", bidirectional, "must be true or false");
        }
        return new NetworkSpec(enumValue(node, "network", "cell", Cell.class), layers, hidden,
                bidirectional != null && bidirectional.booleanValue());
    }

    private TensorSpec tensors(JsonNode node) {
        if (node == null) {
            return new TensorSpec(null, null, TensorLayout.TIME_MAJOR, null);
        }
        requireObject(node, "tensors", TENSOR_FIELDS);
        TensorLayout layout = node.has("layout")
                ? enumValue(node, "tensors", "layout", TensorLayout.class) : TensorLayout.TIME_MAJOR;
        List<StatePair> state = null;
        if (node.has("state")) {
            JsonNode pairs = node.get("state");
            if (!pairs.isArray()) {
                throw invalid("tensors.state", pairs, "must be a list of {\"input\": ..., \"output\": ...}");
            }
            state = new ArrayList<>();
            for (int i = 0; i < pairs.size(); i++) {
                String path = "tensors.state[" + i + "]";
                requireObject(pairs.get(i), path, PAIR_FIELDS);
                state.add(new StatePair(text(pairs.get(i), path + ".input", "input"),
                        text(pairs.get(i), path + ".output", "output")));
            }
        }
        return new TensorSpec(optionalText(node, "tensors", "input"), optionalText(node, "tensors", "output"),
                layout, state);
    }

    private <T> List<T> list(JsonNode root, String field, IntFunction<T> element) {
        JsonNode node = root.get(field);
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw invalid(field, node, "must be a non-empty list");
        }
        List<T> result = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            result.add(element.apply(i));
        }
        return result;
    }

    private void requireObject(JsonNode node, String path, Set<String> allowed) {
        if (node == null || !node.isObject()) {
            throw invalid(path, node, "must be a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                String where = path.equals("(top level)") ? name : path + "." + name;
                throw new InvalidModelException(file + ": unknown field '" + where + "'; allowed: "
                        + allowed.stream().sorted().toList());
            }
        }
    }

    private String text(JsonNode node, String field) {
        return text(node, field, field);
    }

    private String text(JsonNode node, String path, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.textValue().isBlank()) {
            throw invalid(path, value, "must be a non-empty string");
        }
        return value.textValue();
    }

    private String optionalText(JsonNode node, String parent, String field) {
        return node.has(field) ? text(node, parent + "." + field, field) : null;
    }

    private int integer(JsonNode node, String field) {
        return integer(node, field, field);
    }

    private int integer(JsonNode node, String path, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.canConvertToInt() || !value.isIntegralNumber()) {
            throw invalid(path, value, "must be a whole number");
        }
        return value.intValue();
    }

    private double number(JsonNode node, String parent, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isNumber() || !Double.isFinite(value.doubleValue())) {
            throw invalid(parent + "." + field, value, "must be a finite number");
        }
        return value.doubleValue();
    }

    private double positive(JsonNode node, String parent, String field) {
        double value = number(node, parent, field);
        if (value <= 0) {
            throw invalid(parent + "." + field, node.get(field), "must be > 0");
        }
        return value;
    }

    private <E extends Enum<E>> E enumValue(JsonNode node, String field, Class<E> type) {
        return enumValue(node, null, field, type);
    }

    private <E extends Enum<E>> E enumValue(JsonNode node, String parent, String field, Class<E> type) {
        String path = parent == null ? field : parent + "." + field;
        String value = text(node, path, field);
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            List<String> allowed = Arrays.stream(type.getEnumConstants())
                    .map(c -> c.name().toLowerCase(Locale.ROOT)).toList();
            throw invalid(path, node.get(field), "must be one of " + allowed);
        }
    }

    private InvalidModelException invalid(String path, JsonNode found, String rule) {
        return new InvalidModelException(file + ": field '" + path + "' " + rule + ", found "
                + (found == null ? "nothing" : found.toString()));
    }
}
