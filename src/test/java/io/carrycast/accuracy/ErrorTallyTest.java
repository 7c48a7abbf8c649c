package io.carrycast.accuracy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ErrorTallyTest {

    @Test
    void shouldGiveMaeRmseAndSkillOfModelAndPersistence() {
        ErrorTally tally = ErrorTally.EMPTY.add(1, 3).add(-3, -4);

        assertEquals(2, tally.count());
        assertEquals(2.0, tally.mae(), 0.0);
        assertEquals(Math.sqrt(5.0), tally.rmse(), 1e-15);
        assertEquals(3.5, tally.persistenceMae(), 0.0);
        assertEquals(Math.sqrt(12.5), tally.persistenceRmse(), 1e-15);
        assertEquals(1 - 4.0 / 7.0, tally.skill(), 1e-15);
    }

    @Test
    void shouldBeUndefinedWhereNothingWasScoredOrPersistenceIsExact() {
        assertTrue(Double.isNaN(ErrorTally.EMPTY.mae()));
        assertTrue(Double.isNaN(ErrorTally.EMPTY.rmse()));
        assertTrue(Double.isNaN(ErrorTally.EMPTY.persistenceRmse()));
        assertTrue(Double.isNaN(ErrorTally.EMPTY.add(1, 0).skill()));
    }

    @Test
    void shouldAgreeExactlyWithTheLiveBoardOverTheSameScoresInTheSameOrder() {
        AccuracyBoard board = new AccuracyBoard(new SimpleMeterRegistry(), Duration.ofHours(1), () -> 0L);
        Random random = new Random(21);
        ErrorTally tally = ErrorTally.EMPTY;
        for (int i = 0; i < 1000; i++) {
            Score score = new Score("k", i, i + 1, 1, "load", random.nextGaussian() * 7, random.nextGaussian() * 5,
                    random.nextGaussian() * 9, "m", "1");
            board.scored(score);
            tally = tally.add(score.error(), score.persistenceError());
        }

        assertEquals(tally, board.row("m", "1", "load", 1).sinceStart());
    }
}
