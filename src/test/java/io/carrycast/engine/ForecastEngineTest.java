package io.carrycast.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.engine.ForecastEngine.Admitted;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.Forecast;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.metrics.CarrycastMetrics;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.state.StateRecord;
import io.carrycast.testing.Fixture;
import io.carrycast.testing.Meters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine's rules without Kafka: what it returns to store and forward, and what it counts. */
class ForecastEngineTest {

    private static final LateEvents.Bound A_DAY_LATE = new LateEvents.Bound(Duration.ofDays(1).toMillis(), 64);

    private RecurrentModelRunner runner;
    private Forecaster model;
    private List<Fixture.Event> events;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final CarrycastMetrics metrics = new CarrycastMetrics(registry);

    @BeforeEach
    void openModel() {
        Fixture fixture = Fixture.load("lstm");
        runner = RecurrentModelRunner.open(fixture.bundle(), RunnerOptions.defaults());
        model = new Forecaster(runner);
        events = fixture.events(fixture.keys().get(0));
    }

    @AfterEach
    void closeModel() {
        runner.close();
    }

    private ForecastEngine engine(KeyRecords records, LateEvents.Bound lateness) {
        return new ForecastEngine(new ForecastEngine.Settings(new EventReader("time", TimestampFormat.of("iso"),
                Integer.MAX_VALUE), Admission.GapRule.NONE, lateness), records, null, null, metrics, model);
    }

    /** Accepts, steps and stores one event as the stream does with a batch of one; returns its forecast. */
    private static Forecast stepAndStore(ForecastEngine engine, KeyRecords records, Fixture.Event event) {
        Admitted admitted = engine.accept(event.key(), event.bytes(), 0L, null, 0);
        ForecastEngine.Stepped stepped = engine.step(List.of(admitted));
        records.putAll(stepped.keys(), stepped.records());
        return stepped.forecasts().get(0);
    }

    @Test
    void shouldReturnTheStepsRecordAndForecastAndStoreNothingItself() {
        MapKeyRecords records = new MapKeyRecords();
        ForecastEngine engine = engine(records, LateEvents.Bound.NONE);
        Fixture.Event first = events.get(0);

        Admitted admitted = engine.accept(first.key(), first.bytes(), 0L, null, 0);
        ForecastEngine.Stepped stepped = engine.step(List.of(admitted));

        assertFalse(admitted.late());
        assertEquals(List.of(first.key()), stepped.keys());
        assertEquals(first.timeMs(), stepped.records().get(0).state().lastEventTimeMs());
        assertEquals(first.timeMs(), stepped.forecasts().get(0).eventTimeMs());
        assertSame(StateRecord.NONE, records.get(first.key(), true, true, true), "the caller stores, after forwarding");
        assertEquals(1.0, Meters.count(registry, "carrycast.batch.size"), "model calls");
    }

    @Test
    void shouldDropAnExactRedeliveryOfTheKeysStoredEventAndCountIt() {
        MapKeyRecords records = new MapKeyRecords();
        ForecastEngine engine = engine(records, LateEvents.Bound.NONE);
        Fixture.Event first = events.get(0);
        stepAndStore(engine, records, first);

        assertNull(engine.accept(first.key(), first.bytes(), 0L, null, 1));
        assertEquals(1.0, Meters.count(registry, "carrycast.events.duplicate"));
    }

    @Test
    void shouldCorrectALateEventToTheForecastsOfTheEventsInTimeOrder() {
        MapKeyRecords inOrder = new MapKeyRecords();
        ForecastEngine reference = engine(inOrder, A_DAY_LATE);
        List<Forecast> expected = List.of(stepAndStore(reference, inOrder, events.get(0)),
                stepAndStore(reference, inOrder, events.get(1)), stepAndStore(reference, inOrder, events.get(2)));
        MapKeyRecords records = new MapKeyRecords();
        ForecastEngine engine = engine(records, A_DAY_LATE);
        stepAndStore(engine, records, events.get(0));
        stepAndStore(engine, records, events.get(2));

        Fixture.Event late = events.get(1);
        Admitted admitted = engine.accept(late.key(), late.bytes(), 0L, null, 0);
        ForecastEngine.Corrected corrected = engine.correct(admitted);

        assertTrue(admitted.late(), "behind the key's last event: corrected, not stepped");
        List<Forecast> forecasts = corrected.correction().forecasts();
        assertEquals(2, forecasts.size(), "the late event's forecast and the later one's");
        assertEquals(expected.get(1).withRevision(0), forecasts.get(0));
        assertEquals(expected.get(2).withRevision(1), forecasts.get(1));
        assertEquals(events.get(2).timeMs(), corrected.record().state().lastEventTimeMs());
        assertEquals(1.0, Meters.count(registry, "carrycast.corrections.replayed"), "corrections");
    }
}
