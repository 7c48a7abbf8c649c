package io.carrycast.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.testing.Fixture;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The card's rollout block: what it declares, and one message per mistake naming file, field, value and rule. */
class RolloutCardTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadEachInputsSourceWithCalendarFeaturesComputedWhenLeftOut() {
        ModelCard card = Fixture.load("rollout_lstm").card();

        assertEquals(6, card.rollout().steps());
        assertEquals(6, card.forecastSteps());
        assertEquals(List.of(Rollout.Input.fromTarget(0), Rollout.Input.HOLD, Rollout.Input.HOLD,
                Rollout.Input.CALENDAR, Rollout.Input.CALENDAR), card.rollout().inputs());
    }

    @Test
    void shouldFeedEachTargetToTheFeatureThatNamesIt() {
        ModelCard card = Fixture.load("rollout_multi").card();

        assertEquals(List.of(Rollout.Input.fromTarget(0), Rollout.Input.fromTarget(1), Rollout.Input.HOLD,
                Rollout.Input.CALENDAR, Rollout.Input.CALENDAR), card.rollout().inputs());
    }

    @Test
    void shouldForecastOnlyTheHorizonWithoutARolloutBlock() {
        ModelCard card = Fixture.load("lstm_multi").card();

        assertNull(card.rollout());
        assertEquals(3, card.forecastSteps());
    }

    @Test
    void shouldRefuseStepsThatAreNotAMultipleOfTheHorizon() {
        Path bundle = edited("rollout_multi", rollout -> rollout.put("steps", 5));
        assertRefused(bundle, "field 'rollout.steps' must be a multiple of the horizon (2) greater than it: the "
                + "model rolls out in blocks of its horizon, found 5");
    }

    @Test
    void shouldRefuseStepsThatDoNotGoPastTheHorizon() {
        Path bundle = edited("rollout_lstm", rollout -> rollout.put("steps", 1));
        assertRefused(bundle, "field 'rollout.steps' must be a multiple of the horizon (1) greater than it: the "
                + "model rolls out in blocks of its horizon, found 1");
    }

    @Test
    void shouldRefuseAnInputNamingNoFeature() {
        Path bundle = edited("rollout_lstm", rollout -> inputs(rollout).put("levle", "hold"));
        assertRefused(bundle, "field 'rollout.inputs.levle' names no feature of the card; features: [level, flow, "
                + "pressure, hour_of_day_sin, hour_of_day_cos], found \"hold\"");
    }

    @Test
    void shouldRefuseAFieldFeatureLeftOut() {
        Path bundle = edited("rollout_lstm", rollout -> inputs(rollout).remove("pressure"));
        assertRefused(bundle, "field 'rollout.inputs' has no entry for field feature 'pressure'; each field feature "
                + "needs \"hold\" or {\"from_target\": TARGET}, found {\"level\":{\"from_target\":\"level\"},"
                + "\"flow\":\"hold\"}");
    }

    @Test
    void shouldRefuseACalendarFeatureThatIsHeld() {
        Path bundle = edited("rollout_lstm", rollout -> inputs(rollout).put("hour_of_day_cos", "hold"));
        assertRefused(bundle, "field 'rollout.inputs.hour_of_day_cos' must be \"calendar\": a calendar feature is "
                + "computed for each future step's time, found \"hold\"");
    }

    @Test
    void shouldRefuseCalendarForAFieldFeature() {
        Path bundle = edited("rollout_lstm", rollout -> inputs(rollout).put("flow", "calendar"));
        assertRefused(bundle, "field 'rollout.inputs.flow' must be \"hold\" or {\"from_target\": TARGET} for a field "
                + "feature (\"calendar\" is for calendar features), found \"calendar\"");
    }

    @Test
    void shouldRefuseFromTargetNamingNoTarget() {
        Path bundle = edited("rollout_lstm", rollout -> inputs(rollout).putObject("flow").put("from_target", "flow"));
        assertRefused(bundle, "field 'rollout.inputs.flow.from_target' must name a target of the card [level], "
                + "found \"flow\"");
    }

    @Test
    void shouldRefuseAnUnknownFieldInTheBlock() {
        Path bundle = edited("rollout_lstm", rollout -> rollout.put("horizon", 6));
        assertRefused(bundle, "unknown field 'rollout.horizon'; allowed: [inputs, steps]");
    }

    @Test
    void shouldRefuseInputsThatAreNotAnObject() {
        Path bundle = edited("rollout_lstm", rollout -> rollout.putArray("inputs").add("hold"));
        assertRefused(bundle, "field 'rollout.inputs' must be a JSON object from feature names to \"calendar\", "
                + "\"hold\" or {\"from_target\": TARGET}, found [\"hold\"]");
    }

    private Path edited(String fixture, Consumer<ObjectNode> editRollout) {
        return Fixture.load(fixture).copyWithCard(dir.resolve(fixture),
                card -> editRollout.accept((ObjectNode) card.get("rollout")));
    }

    private static ObjectNode inputs(ObjectNode rollout) {
        return (ObjectNode) rollout.get("inputs");
    }

    private static void assertRefused(Path bundle, String message) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelBundle.load(bundle));
        assertEquals(bundle.resolve("model.json") + ": " + message, e.getMessage());
    }
}
