package io.carrycast.forecast;

import static io.carrycast.testing.ModelCalls.stepOnce;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.carrycast.bundle.ModelBundle;
import io.carrycast.runner.RunnerOptions;
import io.carrycast.testing.Fixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A swapped-out model stays open exactly as long as someone holds it, and is closed as the last one lets go. */
class LiveModelTest {

    private static final Fixture FIXTURE = Fixture.load("lstm");

    @TempDir
    Path dir;

    @Test
    void shouldCloseASwappedOutModelRightAfterItsLastHolderLetsGoAndNeverDuringItsCalls() throws Exception {
        Path modelDir = FIXTURE.copyWithCard(dir.resolve("model"), card -> card.put("version", "1"));
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), served -> { })) {
            Forecaster old = live.current();
            CountDownLatch holding = new CountDownLatch(1);
            AtomicBoolean swapped = new AtomicBoolean();
            // A stream processor: holds the model, calls it again and again, and is still calling after the swap.
            Future<Integer> callsAfterSwap = thread.submit(() -> {
                Forecaster held = live.acquire();
                holding.countDown();
                int calls = 0;
                try {
                    while (calls < 50) {
                        boolean afterSwap = swapped.get();
                        stepOnce(held.runner());
                        calls += afterSwap ? 1 : 0;
                    }
                } finally {
                    live.release(held);
                }
                return calls;
            });
            assertTrue(holding.await(30, TimeUnit.SECONDS));

            replaceCard(modelDir, "2");
            assertTrue(live.reloadIfChanged());
            swapped.set(true);

            assertEquals(50, callsAfterSwap.get(60, TimeUnit.SECONDS), "every call on the held model ran");
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> stepOnce(old.runner()));
            assertTrue(closed.getMessage().endsWith("is closed"), closed.getMessage());
            assertEquals("2", live.current().card().version());
            stepOnce(live.current().runner());
        } finally {
            thread.shutdownNow();
        }
    }

    @Test
    void shouldCloseASwappedOutModelAtOnceWhenNoOneHoldsIt() throws IOException {
        Path modelDir = FIXTURE.copyWithCard(dir.resolve("model"), card -> card.put("version", "1"));
        try (LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), served -> { })) {
            Forecaster first = live.acquire();
            live.release(first);

            replaceCard(modelDir, "2");
            assertTrue(live.reloadIfChanged());

            assertThrows(IllegalStateException.class, () -> stepOnce(first.runner()));
        }
    }

    @Test
    void shouldKeepAModelHeldTwiceOpenUntilBothHoldersLetGo() throws IOException {
        Path modelDir = FIXTURE.copyWithCard(dir.resolve("model"), card -> card.put("version", "1"));
        try (LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), served -> { })) {
            Forecaster one = live.acquire();
            Forecaster other = live.acquire();
            assertSame(one, other);
            replaceCard(modelDir, "2");
            assertTrue(live.reloadIfChanged());
            Forecaster next = live.acquire();
            assertNotSame(one, next);

            live.release(one);
            stepOnce(other.runner());
            live.release(other);
            assertThrows(IllegalStateException.class, () -> stepOnce(other.runner()));
            stepOnce(next.runner());
            live.release(next);
            stepOnce(live.current().runner());
        }
    }

    @Test
    void shouldCloseEveryModelItOpenedWhenClosedEvenWhileOneIsHeld() throws IOException {
        Path modelDir = FIXTURE.copyWithCard(dir.resolve("model"), card -> card.put("version", "1"));
        LiveModel live = LiveModel.open(modelDir, RunnerOptions.defaults(), served -> { });
        Forecaster old = live.acquire();
        replaceCard(modelDir, "2");
        assertTrue(live.reloadIfChanged());
        Forecaster current = live.current();

        live.close();

        assertThrows(IllegalStateException.class, () -> stepOnce(old.runner()));
        assertThrows(IllegalStateException.class, () -> stepOnce(current.runner()));
        live.release(old);
    }

    /** A new card version with a later modification time, as a deploy that replaces the card would leave it. */
    private static void replaceCard(Path modelDir, String version) throws IOException {
        Path card = modelDir.resolve(ModelBundle.CARD_FILE);
        FileTime before = Files.getLastModifiedTime(card);
        Files.writeString(card, Files.readString(card).replace("\"version\":\"1\"", "\"version\":\"" + version + "\""));
        Files.setLastModifiedTime(card, FileTime.fromMillis(before.toMillis() + 1000));
    }
}
