package io.carrycast.runner;

import io.carrycast.bundle.InvalidModelException;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.bundle.ModelCard;
import io.carrycast.bundle.Mode;
import io.carrycast.bundle.NetworkSpec;
import io.carrycast.bundle.StatePair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Which graph tensor plays which part, resolved from the card and, where the card is silent, discovered
 * from the graph's signature; then checked against the card. Every mismatch is one
 * {@link InvalidModelException} naming the file, the tensor, the shape found and the shape required.
 *
 * @param outputRank 3 when the graph emits a forecast per time step (the runner reads the last), 2 when
 *                   it emits one per sequence
 */
record GraphBinding(String featureInput, String forecastOutput, List<StatePair> state, int outputRank) {

    /** Names exporters give state inputs: h0, c0, h_0, initial_h, state_h, hidden_in, ... */
    private static final Pattern STATE_INPUT_NAME = Pattern.compile(
            "(?i)^(h|c|hx|cx|hidden|cell|state|state_h|state_c|initial_h|initial_c)(_?0|_?in)?$");

    static GraphBinding resolve(ModelBundle bundle, Map<String, TensorShape> inputs,
                                Map<String, TensorShape> outputs) {
        return new Resolver(bundle, inputs, outputs).resolve();
    }

    private static final class Resolver {
        private final ModelBundle bundle;
        private final ModelCard card;
        private final Map<String, TensorShape> inputs;
        private final Map<String, TensorShape> outputs;
        private final String file;

        Resolver(ModelBundle bundle, Map<String, TensorShape> inputs, Map<String, TensorShape> outputs) {
            this.bundle = bundle;
            this.card = bundle.card();
            this.inputs = new LinkedHashMap<>(inputs);
            this.outputs = new LinkedHashMap<>(outputs);
            this.file = bundle.modelFile().toString();
        }

        GraphBinding resolve() {
            List<StatePair> declared = card.tensors().state();
            String featureInput = card.tensors().input() != null
                    ? requireInput(card.tensors().input(), "tensors.input") : discoverFeatureInput(declared);
            List<StatePair> state = declared != null ? checkDeclaredPairs(declared) : discoverPairs(featureInput);
            String forecastOutput = card.tensors().output() != null
                    ? requireOutput(card.tensors().output(), "tensors.output") : discoverForecastOutput(state);

            checkFeatureInput(featureInput);
            checkStateCount(state);
            state.forEach(this::checkStatePair);
            int outputRank = checkForecastOutput(forecastOutput);
            checkEveryInputBound(featureInput, state);
            return new GraphBinding(featureInput, forecastOutput, List.copyOf(state), outputRank);
        }

        private String requireInput(String name, String cardField) {
            if (!inputs.containsKey(name)) {
                throw new InvalidModelException(file + ": input tensor '" + name + "' named by "
                        + bundle.directory().resolve(ModelBundle.CARD_FILE) + " " + cardField
                        + " is not in the graph; graph inputs: " + inputs);
            }
            return name;
        }

        private String requireOutput(String name, String cardField) {
            if (!outputs.containsKey(name)) {
                throw new InvalidModelException(file + ": output tensor '" + name + "' named by "
                        + bundle.directory().resolve(ModelBundle.CARD_FILE) + " " + cardField
                        + " is not in the graph; graph outputs: " + outputs);
            }
            return name;
        }

        private String discoverFeatureInput(List<StatePair> declared) {
            Set<String> stateInputs = new LinkedHashSet<>();
            if (declared != null) {
                declared.forEach(p -> stateInputs.add(p.input()));
            }
            List<String> candidates = inputs.keySet().stream()
                    .filter(name -> !stateInputs.contains(name) && !STATE_INPUT_NAME.matcher(name).matches())
                    .toList();
            if (candidates.size() != 1) {
                throw new InvalidModelException(file + ": cannot tell which input takes the features among "
                        + inputs + "; name it in model.json tensors.input");
            }
            return candidates.get(0);
        }

        private List<StatePair> checkDeclaredPairs(List<StatePair> declared) {
            for (StatePair pair : declared) {
                requireInput(pair.input(), "tensors.state");
                requireOutput(pair.output(), "tensors.state");
            }
            return declared;
        }

        /** Every input but the features is a state input; its partner output has the same name stem or shape. */
        private List<StatePair> discoverPairs(String featureInput) {
            List<StatePair> pairs = new ArrayList<>();
            Set<String> taken = new LinkedHashSet<>();
            for (Map.Entry<String, TensorShape> input : inputs.entrySet()) {
                if (input.getKey().equals(featureInput)) {
                    continue;
                }
                String partner = partnerByName(input.getKey(), taken)
                        .or(() -> partnerByShape(input.getValue(), taken))
                        .orElseThrow(() -> new InvalidModelException(file + ": state input '" + input.getKey()
                                + "' " + input.getValue() + " has no output of the same shape to pair with; "
                                + "graph outputs: " + outputs + "; list the pairs in model.json tensors.state"));
                taken.add(partner);
                pairs.add(new StatePair(input.getKey(), partner));
            }
            return pairs;
        }

        private Optional<String> partnerByName(String input, Set<String> taken) {
            String stem = input.toLowerCase(Locale.ROOT).replaceAll("(_?0|_?in|_?input)$", "")
                    .replaceFirst("^initial_", "");
            return outputs.keySet().stream()
                    .filter(name -> !taken.contains(name))
                    .filter(name -> {
                        String out = name.toLowerCase(Locale.ROOT);
                        return out.equals(stem + "n") || out.equals(stem + "_n") || out.equals(stem + "_out")
                                || out.equals(stem + "out") || out.equals("y_" + stem)
                                || out.equals(stem + "_new") || out.equals("new_" + stem);
                    })
                    .findFirst();
        }

        private Optional<String> partnerByShape(TensorShape shape, Set<String> taken) {
            List<String> sameShape = outputs.entrySet().stream()
                    .filter(e -> !taken.contains(e.getKey()) && e.getValue().sameAs(shape))
                    .map(Map.Entry::getKey).toList();
            return sameShape.size() == 1 ? Optional.of(sameShape.get(0)) : Optional.empty();
        }

        private String discoverForecastOutput(List<StatePair> state) {
            Set<String> stateOutputs = new LinkedHashSet<>();
            state.forEach(p -> stateOutputs.add(p.output()));
            List<String> candidates = outputs.keySet().stream().filter(n -> !stateOutputs.contains(n)).toList();
            if (candidates.size() != 1) {
                throw new InvalidModelException(file + ": cannot tell which output is the forecast among "
                        + outputs + "; name it in model.json tensors.output");
            }
            return candidates.get(0);
        }

        private void checkFeatureInput(String name) {
            TensorShape shape = inputs.get(name);
            int features = card.features().size();
            // [T, B, F] and [B, T, F] differ only in which dynamic axis is which.
            String expected = TensorShape.describe(-1, -1, features);
            if (shape.rank() != 3 || !shape.accepts(2, features)) {
                throw new InvalidModelException(file + ": feature input '" + name + "' has shape " + shape
                        + " but model.json lists " + features + " features with layout "
                        + card.tensors().layout().cardName() + ", which needs " + expected);
            }
        }

        private void checkStateCount(List<StatePair> state) {
            NetworkSpec network = card.network();
            boolean required = card.mode() == Mode.STATEFUL;
            if ((required || !state.isEmpty()) && state.size() != network.cell().stateTensors()) {
                throw new InvalidModelException(file + ": graph carries " + state.size() + " state tensor(s) "
                        + state + " but model.json network.cell " + network.cell().cardName() + " carries "
                        + network.cell().stateTensors());
            }
        }

        private void checkStatePair(StatePair pair) {
            NetworkSpec network = card.network();
            long[] expected = {network.stateSlices(), TensorShape.DYNAMIC, network.hidden()};
            for (String name : List.of(pair.input(), pair.output())) {
                TensorShape shape = name.equals(pair.input()) ? inputs.get(name) : outputs.get(name);
                boolean fits = shape.rank() == 3 && shape.accepts(0, expected[0]) && shape.accepts(2, expected[2]);
                if (!fits) {
                    throw new InvalidModelException(file + ": state tensor '" + name + "' has shape " + shape
                            + " but model.json network (cell=" + network.cell().cardName() + ", layers="
                            + network.layers() + ", bidirectional=" + network.bidirectional() + ", hidden="
                            + network.hidden() + ") needs " + TensorShape.describe(expected));
                }
            }
        }

        private int checkForecastOutput(String name) {
            TensorShape shape = outputs.get(name);
            int values = card.outputsPerForecast();
            boolean fits = (shape.rank() == 2 || shape.rank() == 3) && shape.accepts(shape.rank() - 1, values);
            if (!fits) {
                throw new InvalidModelException(file + ": forecast output '" + name + "' has shape " + shape
                        + " but model.json asks for horizon " + card.horizon() + " x " + card.targets().size()
                        + " target(s)" + (card.hasQuantiles() ? " x " + card.quantiles().size() + " quantile(s) "
                        + card.quantiles() : "") + ", which needs " + TensorShape.describe(-1, -1, values) + " or "
                        + TensorShape.describe(-1, values));
            }
            return shape.rank();
        }

        private void checkEveryInputBound(String featureInput, List<StatePair> state) {
            for (String name : inputs.keySet()) {
                boolean bound = name.equals(featureInput) || state.stream().anyMatch(p -> p.input().equals(name));
                if (!bound) {
                    throw new InvalidModelException(file + ": graph input '" + name + "' " + inputs.get(name)
                            + " is neither the feature input nor a state input in model.json tensors");
                }
            }
        }
    }
}
