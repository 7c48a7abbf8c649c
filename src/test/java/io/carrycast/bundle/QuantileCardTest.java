package io.carrycast.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target's {@code quantiles}: what a quantile card declares, its output layout, and one message per mistake
 * naming file, field, value and rule.
 */
class QuantileCardTest {

    private static final String FIXTURE = "quantile_lstm";

    @TempDir
    Path dir;

    @Test
    void shouldReadTheQuantilesAndLayEachTargetsQuantilesTogetherPerStep() {
        ModelCard card = Fixture.load(FIXTURE).card();

        assertEquals(List.of(0.1, 0.5, 0.9), card.quantiles());
        assertTrue(card.hasQuantiles());
        assertEquals(6, card.valuesPerStep(), "2 targets x 3 quantiles");
        assertEquals(6, card.outputsPerForecast(), "horizon 1");
        assertEquals(1, card.pointIndex(0), "temp_max's median");
        assertEquals(4, card.pointIndex(1), "temp_min's median");
        assertArrayEquals(new double[] {0.8}, card.intervalLevels(), 0.0);
    }

    @Test
    void shouldPairTheQuantilesIntoLevelsAscendingExactlyAsWritten() {
        Path bundle = editedQuantiles(0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975);
        ModelCard card = ModelBundle.load(bundle).card();

        assertArrayEquals(new double[] {0.8, 0.9, 0.95}, card.intervalLevels(), 0.0);
        assertEquals(14, card.valuesPerStep());
        assertEquals(3, card.pointIndex(0));
        assertEquals(10, card.pointIndex(1));
    }

    @Test
    void shouldKeepOneValuePerTargetWithoutQuantiles() {
        ModelCard card = Fixture.load("rollout_multi").card();

        assertFalse(card.hasQuantiles());
        assertEquals(2, card.valuesPerStep());
        assertEquals(1, card.pointIndex(1));
        assertEquals(0, card.intervalLevels().length);
    }

    @Test
    void shouldRefuseQuantilesThatAreNotAscending() {
        assertRefused(editedQuantiles(0.1, 0.9, 0.5), "field 'targets[0].quantiles' must be strictly ascending, "
                + "found [0.1,0.9,0.5]");
    }

    @Test
    void shouldRefuseAQuantileOutsideZeroAndOne() {
        assertRefused(editedQuantiles(0.0, 0.5, 1.0), "field 'targets[0].quantiles' must hold numbers strictly "
                + "between 0 and 1, found [0.0,0.5,1.0]");
    }

    @Test
    void shouldRefuseQuantilesWithoutTheMedian() {
        assertRefused(editedQuantiles(0.1, 0.4, 0.6, 0.9), "field 'targets[0].quantiles' must contain 0.5: the "
                + "median is the point forecast, found [0.1,0.4,0.6,0.9]");
    }

    @Test
    void shouldRefuseQuantilesThatAreNotSymmetricPairs() {
        assertRefused(editedQuantiles(0.1, 0.5, 0.95), "field 'targets[0].quantiles' must come in symmetric pairs "
                + "(q, 1 - q) around 0.5, each pair the interval at level 1 - 2q; 0.1 has no partner 0.9, found "
                + "[0.1,0.5,0.95]");
    }

    @Test
    void shouldRefuseTheMedianAlone() {
        assertRefused(editedQuantiles(0.5), "field 'targets[0].quantiles' must hold at least 3 quantiles: the median "
                + "and a pair (q, 1 - q), found [0.5]");
    }

    @Test
    void shouldRefuseQuantilesThatAreNotAList() {
        Path bundle = edited(card -> ((ObjectNode) card.get("targets").get(0)).put("quantiles", 0.5));
        assertRefused(bundle, "field 'targets[0].quantiles' must be a non-empty list of numbers, found 0.5");
    }

    @Test
    void shouldRefuseTargetsThatDeclareOtherQuantiles() {
        Path bundle = edited(card -> ((ObjectNode) card.get("targets").get(1)).putArray("quantiles").add(0.05)
                .add(0.5).add(0.95));
        assertRefused(bundle, "field 'targets[1].quantiles' must equal targets[0].quantiles [0.1,0.5,0.9]: every "
                + "target of a card declares the same quantiles (one quantile head), found [0.05,0.5,0.95]");
    }

    @Test
    void shouldRefuseATargetWithoutTheQuantilesTheOthersDeclare() {
        Path bundle = edited(card -> ((ObjectNode) card.get("targets").get(1)).remove("quantiles"));
        assertRefused(bundle, "field 'targets[1].quantiles' must equal targets[0].quantiles [0.1,0.5,0.9]: every "
                + "target of a card declares the same quantiles (one quantile head), found nothing");
    }

    @Test
    void shouldRefuseQuantilesOnALaterTargetOnly() {
        Path bundle = edited(card -> ((ObjectNode) card.get("targets").get(0)).remove("quantiles"));
        assertRefused(bundle, "field 'targets[1].quantiles' must equal targets[0].quantiles (none declared): every "
                + "target of a card declares the same quantiles (one quantile head), found [0.1,0.5,0.9]");
    }

    @Test
    void shouldRefuseAGraphWhoseOutputDoesNotHoldEveryTargetsQuantiles() {
        Path bundle = editedQuantiles(0.05, 0.1, 0.5, 0.9, 0.95);

        InvalidModelException e = assertThrows(InvalidModelException.class,
                () -> RecurrentModelRunner.open(ModelBundle.load(bundle), RunnerOptions.defaults()).close());

        assertTrue(e.getMessage().startsWith(bundle.resolve("model.onnx") + ": forecast output 'y' has shape "),
                e.getMessage());
        assertTrue(e.getMessage().contains("but model.json asks for horizon 1 x 2 target(s) x 5 quantile(s) "
                + "[0.05, 0.1, 0.5, 0.9, 0.95], which needs [?, ?, 10]"), e.getMessage());
    }

    private Path editedQuantiles(double... quantiles) {
        return edited(card -> {
            for (var target : card.get("targets")) {
                ArrayNode list = ((ObjectNode) target).putArray("quantiles");
                for (double q : quantiles) {
                    list.add(q);
                }
            }
        });
    }

    private Path edited(Consumer<ObjectNode> edit) {
        return Fixture.load(FIXTURE).copyWithCard(dir.resolve("bundle"), edit);
    }

    private static void assertRefused(Path bundle, String message) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelBundle.load(bundle));
        assertEquals(bundle.resolve("model.json") + ": " + message, e.getMessage());
    }
}
