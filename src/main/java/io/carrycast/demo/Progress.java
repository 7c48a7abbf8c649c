package io.carrycast.demo;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * A one-line progress bar on stderr: events produced and forecasts consumed. Redrawn in place on a
 * terminal; without one, a line every quarter so logs stay short.
 */
final class Progress {

    private static final int WIDTH = 30;

    private final int total;
    private final IntSupplier produced;
    private final IntSupplier consumed;
    private final PrintStream out = System.err;
    private final boolean terminal = System.console() != null;
    private final long started = System.nanoTime();
    private Thread drawer;
    private int lastQuarter = -1;

    Progress(int total, IntSupplier produced, IntSupplier consumed) {
        this.total = total;
        this.produced = produced;
        this.consumed = consumed;
    }

    void start() {
        drawer = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                draw(false);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "demo-progress");
        drawer.setDaemon(true);
        drawer.start();
    }

    void finish() throws InterruptedException {
        drawer.interrupt();
        drawer.join();
        draw(true);
        if (terminal) {
            out.println();
        }
    }

    private void draw(boolean last) {
        int done = consumed.getAsInt();
        int quarter = done * 4 / Math.max(total, 1);
        if (!terminal && !last && quarter == lastQuarter) {
            return;
        }
        lastQuarter = quarter;
        int filled = (int) ((long) done * WIDTH / Math.max(total, 1));
        String bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
        double seconds = (System.nanoTime() - started) / 1e9;
        String line = String.format(Locale.ROOT, "[%s] %5d/%d events produced, %5d forecasts consumed, %5.1f s",
                bar, produced.getAsInt(), total, done, seconds);
        out.print(terminal ? "\r" + line : line + System.lineSeparator());
        out.flush();
    }
}
