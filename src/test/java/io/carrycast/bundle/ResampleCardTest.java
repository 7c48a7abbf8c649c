package io.carrycast.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.bundle.Resample.Aggregate;
import io.carrycast.testing.Fixture;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The card's resample block: what it declares, and one message per mistake naming file, field, value and rule. */
class ResampleCardTest {

    @TempDir
    Path dir;

    @Test
    void shouldReadEachFieldsAggregateWithTheDefaultForTheRest() {
        Resample resample = Fixture.load("resample_carry").card().resample();

        assertEquals(new Resample(Aggregate.MEAN, Map.of("sales", Aggregate.SUM, "peak", Aggregate.MAX,
                "reading", Aggregate.LAST, "visits", Aggregate.COUNT), Resample.Empty.CARRY, 3), resample);
        assertEquals(Aggregate.MEAN, resample.aggregateOf("temp"));
        assertEquals(Aggregate.SUM, resample.aggregateOf("sales"));
    }

    @Test
    void shouldStepOncePerEventWithoutAResampleBlock() {
        assertFalse(Fixture.load("lstm_multi").card().resamples());
    }

    @Test
    void shouldSkipEmptyBucketsAndAverageWhenTheBlockSaysNothingElse() {
        Path bundle = Fixture.load("resample_carry").copyWithCard(dir.resolve("b"), card -> card.putObject("resample"));
        assertEquals(new Resample(Aggregate.MEAN, Map.of(), Resample.Empty.SKIP, 0),
                ModelBundle.load(bundle).card().resample());
    }

    @Test
    void shouldRefuseAnUnknownAggregate() {
        Path bundle = edited(resample -> ((ObjectNode) resample.get("fields")).put("sales", "median"));
        assertRefused(bundle, "field 'resample.fields.sales' must be one of [mean, sum, min, max, first, last, "
                + "count], found \"median\"");
    }

    @Test
    void shouldRefuseAnAggregateForAFieldNoFeatureReads() {
        Path bundle = edited(resample -> ((ObjectNode) resample.get("fields")).put("rain", "sum"));
        assertRefused(bundle, "field 'resample.fields.rain' names no field the features read; fields: "
                + "[temp, sales, peak, reading, visits], found \"sum\"");
    }

    @Test
    void shouldRefuseAnUnknownEmptyBucketRule() {
        Path bundle = edited(resample -> resample.put("empty", "interpolate"));
        assertRefused(bundle, "field 'resample.empty' must be one of [carry, zeros, skip], found \"interpolate\"");
    }

    @Test
    void shouldRefuseANegativeFillBound() {
        Path bundle = edited(resample -> resample.put("max_fill", -1));
        assertRefused(bundle, "field 'resample.max_fill' must be >= 0, found -1");
    }

    @Test
    void shouldRefuseACadenceThatDoesNotDivideADay() {
        Path bundle = Fixture.load("resample_carry").copyWithCard(dir.resolve("b"), card -> card.put("cadence", "PT7H"));
        assertRefused(bundle, "field 'cadence' must divide a day (such as PT15M, PT1H or P1D) when the card "
                + "resamples: buckets are aligned to local midnight, found \"PT7H\"");
    }

    @Test
    void shouldRefuseAnUnknownFieldInTheBlock() {
        Path bundle = edited(resample -> resample.put("grace", 5));
        assertRefused(bundle, "unknown field 'resample.grace'; allowed: [default, empty, fields, max_fill]");
    }

    private Path edited(Consumer<ObjectNode> editResample) {
        return Fixture.load("resample_carry").copyWithCard(dir.resolve("b"),
                card -> editResample.accept((ObjectNode) card.get("resample")));
    }

    private static void assertRefused(Path bundle, String message) {
        InvalidModelException e = assertThrows(InvalidModelException.class, () -> ModelBundle.load(bundle));
        assertEquals(bundle.resolve("model.json") + ": " + message, e.getMessage());
    }
}
