package io.carrycast.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.InvalidModelException;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.testing.Fixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Start-up refuses a card that disagrees with its graph, with one message naming file, tensor and shapes. */
class ModelValidationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void shouldRefuseCardWhoseHiddenSizeDiffersFromGraph() throws IOException {
        Path bundle = editedCard("lstm", card -> ((ObjectNode) card.get("network")).put("hidden", 32));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> open(bundle));
        assertEquals(bundle.resolve("model.onnx") + ": state tensor 'h0' has shape [1, ?, 16] but model.json "
                + "network (cell=lstm, layers=1, bidirectional=false, hidden=32) needs [1, ?, 32]", e.getMessage());
    }

    @Test
    void shouldRefuseCardWhoseLayerCountDiffersFromGraph() throws IOException {
        Path bundle = editedCard("lstm_stacked", card -> ((ObjectNode) card.get("network")).put("layers", 1));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> open(bundle));
        assertEquals(bundle.resolve("model.onnx") + ": state tensor 'h0' has shape [2, ?, 16] but model.json "
                + "network (cell=lstm, layers=1, bidirectional=false, hidden=16) needs [1, ?, 16]", e.getMessage());
    }

    @Test
    void shouldRefuseCardNamingATensorTheGraphLacks() throws IOException {
        Path bundle = editedCard("gru", card -> ((ObjectNode) card.get("tensors")).put("input", "features"));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> open(bundle));
        assertEquals(bundle.resolve("model.onnx") + ": input tensor 'features' named by "
                + bundle.resolve("model.json") + " tensors.input is not in the graph; graph inputs: "
                + "{x=[?, ?, 3], h0=[1, ?, 16]}", e.getMessage());
    }

    @Test
    void shouldRefuseCardListingMoreFeaturesThanTheGraphTakes() throws IOException {
        Path bundle = editedCard("rnn", card -> ((ArrayNode) card.get("features"))
                .addObject().put("field", "extra").put("mean", 0.0).put("std", 1.0));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> open(bundle));
        assertEquals(bundle.resolve("model.onnx") + ": feature input 'x' has shape [?, ?, 3] but model.json lists 4 "
                + "features with layout batch_major, which needs [?, ?, 4]", e.getMessage());
    }

    @Test
    void shouldRefuseUnknownCalendarFeature() throws IOException {
        Path bundle = editedCard("lstm_multi", card -> ((ObjectNode) card.get("features").get(3))
                .put("calendar", "day_of_month_sin"));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelBundle.load(bundle));
        assertEquals(bundle.resolve("model.json") + ": field 'features[3].calendar' must be one of [hour_of_day_sin, "
                + "hour_of_day_cos, day_of_week_sin, day_of_week_cos, day_of_year_sin, day_of_year_cos], found "
                + "\"day_of_month_sin\"", e.getMessage());
    }

    @Test
    void shouldRefuseForecastOutputOfTheWrongWidth() throws IOException {
        Path bundle = editedCard("lstm_multi", card -> card.put("horizon", 2));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> open(bundle));
        assertEquals(bundle.resolve("model.onnx") + ": forecast output 'y' has shape [?, ?, 6] but model.json asks "
                + "for horizon 2 x 2 target(s), which needs [?, ?, 4] or [?, 4]", e.getMessage());
    }

    @Test
    void shouldRefuseLstmCardThatDeclaresOneStateTensor() throws IOException {
        Path bundle = editedCard("lstm", card -> ((ArrayNode) card.get("tensors").get("state")).remove(1));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelBundle.load(bundle));
        assertEquals(bundle.resolve("model.json") + ": field 'tensors.state' a stateful lstm carries 2 state "
                + "tensor(s), found [{\"input\":\"h0\",\"output\":\"hn\"}]", e.getMessage());
    }

    @Test
    void shouldRefuseCardWithUnknownField() throws IOException {
        Path bundle = editedCard("gru", card -> card.put("hidden_size", 16));
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelBundle.load(bundle));
        assertEquals(bundle.resolve("model.json") + ": unknown field 'hidden_size'; allowed: [cadence, description, "
                + "features, horizon, mode, name, network, resample, rollout, targets, tensors, timezone, version, window]", e.getMessage());
    }

    @Test
    void shouldDiscoverTensorNamesWhenTheCardLeavesThemOut() throws IOException {
        Path bundle = editedCard("lstm_stacked", card -> card.remove("tensors"));
        try (RecurrentModelRunner runner = open(bundle)) {
            assertEquals("[h0->hn, c0->cn]", runner.statePairs().toString());
            assertEquals(2 * 16, runner.stateSizePerKey());
        }
    }

    private static RecurrentModelRunner open(Path bundle) {
        return RecurrentModelRunner.open(ModelBundle.load(bundle), RunnerOptions.defaults());
    }

    private Path editedCard(String fixture, Consumer<ObjectNode> edit) throws IOException {
        Path bundle = Fixture.load(fixture).copyTo(dir.resolve(fixture));
        Path card = bundle.resolve("model.json");
        ObjectNode json = (ObjectNode) JSON.readTree(card.toFile());
        edit.accept(json);
        Files.writeString(card, JSON.writeValueAsString(json));
        return bundle;
    }
}
