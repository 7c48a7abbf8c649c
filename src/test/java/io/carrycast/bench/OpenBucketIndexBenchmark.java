package io.carrycast.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.testing.ForecastDriver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.TestOutputTopic;

/**
 * What the open-bucket index costs with many keys open, through the real topology and RocksDB stores in a
 * topology test driver (one task): N keys each open an hourly bucket; then stream time advances in 1 s steps
 * with nothing due (each step one stream-time punctuation, which reads nothing), and as many events without
 * advancing it (the same work without punctuations); then one event
 * moves stream time past every bucket's end, and one punctuation steps all N buckets (LSTM-64, batches of 256).
 *
 * <p>{@code java -cp ... io.carrycast.bench.OpenBucketIndexBenchmark [keys]} (1,000,000 by default).
 */
public final class OpenBucketIndexBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long HOUR = 3_600_000L;
    private static final int PROBES = 2_000;

    public static void main(String[] args) throws Exception {
        int keys = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path work = Files.createTempDirectory("carrycast-index-bench-");
        try {
            Path bundle = bundle(work.resolve("bundle"));
            try (ForecastDriver driver = ForecastDriver.open(bundle, work.resolve("state"), Map.of(
                    CarrycastConfig.RESAMPLE_GRACE_MS_CONFIG, "0", CarrycastConfig.BATCH_MAX_SIZE_CONFIG, "256",
                    CarrycastConfig.TIMESTAMP_FORMAT_CONFIG, "epoch_millis"))) {
                TestOutputTopic<String, byte[]> output = driver.driver().createOutputTopic(ForecastDriver.OUTPUT,
                        new StringDeserializer(), new ByteArrayDeserializer());
                Random random = new Random(7);
                long t0 = 1_700_002_800_000L; // on the hour
                // Stream time stays within the hour's first second: no bucket is due.
                long started = System.nanoTime();
                for (int k = 0; k < keys; k++) {
                    long time = t0 + k / 1_000;
                    driver.sendRaw(EndToEndBenchmark.key(k), EndToEndBenchmark.event(time, random), time);
                }
                double openMicros = (System.nanoTime() - started) / 1e3 / keys;
                System.out.printf(Locale.ROOT, "%d buckets opened: %.1f us per event%n", keys, openMicros);

                long probeFrom = t0 + 20 * 60_000L;
                started = System.nanoTime();
                for (int p = 0; p < PROBES; p++) {
                    long time = probeFrom + p * 1_000L; // each one second later: one punctuation per event
                    driver.sendRaw("probe-" + p, EndToEndBenchmark.event(time, random), time);
                }
                double probeMicros = (System.nanoTime() - started) / 1e3 / PROBES;
                System.out.printf(Locale.ROOT, "%d events each advancing stream time 1 s, nothing due: %.1f us per "
                        + "event%n", PROBES, probeMicros);

                // The same work without punctuations: new keys at the stream time already reached.
                long reached = probeFrom + (PROBES - 1) * 1_000L;
                started = System.nanoTime();
                for (int p = 0; p < PROBES; p++) {
                    driver.sendRaw("control-" + p, EndToEndBenchmark.event(reached, random), reached);
                }
                System.out.printf(Locale.ROOT, "%d events opening buckets without advancing stream time: %.1f us per "
                        + "event%n", PROBES, (System.nanoTime() - started) / 1e3 / PROBES);

                started = System.nanoTime();
                driver.sendRaw("clock", EndToEndBenchmark.event(t0 + 2 * HOUR, random), t0 + 2 * HOUR);
                double closeSeconds = (System.nanoTime() - started) / 1e9;
                long forecasts = output.getQueueSize();
                System.out.printf(Locale.ROOT, "open-bucket index, %d keys open: %.1f us per event opening a bucket "
                                + "(%d keys); %.1f us per event with a stream-time punctuation and nothing due (%d events "
                                + "after %d buckets opened); one punctuation stepped %d buckets in %.1f s (%.1f us per "
                                + "bucket, model steps included)%n", keys, openMicros, keys, probeMicros, PROBES, keys,
                        forecasts, closeSeconds, closeSeconds * 1e6 / Math.max(1, forecasts));
            }
        } finally {
            EndToEndBenchmark.deleteRecursively(work);
        }
    }

    /** The benchmark LSTM-64 with hourly buckets: f0 the last value, f1 summed, the rest averaged. */
    private static Path bundle(Path dir) throws Exception {
        Path lstm64 = Path.of(OpenBucketIndexBenchmark.class.getResource("/bench/lstm64").toURI());
        Files.createDirectories(dir);
        Files.copy(lstm64.resolve("model.onnx"), dir.resolve("model.onnx"));
        ObjectNode card = (ObjectNode) JSON.readTree(lstm64.resolve("model.json").toFile());
        card.put("window", 0).put("cadence", "PT1H");
        ObjectNode resample = card.putObject("resample").put("default", "mean");
        resample.putObject("fields").put("f0", "last").put("f1", "sum");
        Files.write(dir.resolve("model.json"), JSON.writeValueAsString(card).getBytes(StandardCharsets.UTF_8));
        return dir;
    }
}
