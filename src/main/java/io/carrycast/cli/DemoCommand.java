package io.carrycast.cli;

import io.carrycast.demo.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The end-to-end demo on an embedded broker with real weather data. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a Kafka broker, replay 2012-2015 daily weather for Seattle and New York through the "
                + "forecaster, and score the 2015 next-day temp_max forecasts consumed back from Kafka.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--events-per-second", defaultValue = "0",
            description = "Replay rate; 0 replays as fast as possible (default: ${DEFAULT-VALUE}).")
    int eventsPerSecond;

    @Option(names = "--csv", paramLabel = "FILE",
            description = "Weather CSV with columns location,date,precipitation,temp_max,temp_min,wind; default: the bundled dataset.")
    Path csv;

    /** The bundled model: beside the launcher when it says where it lives, else under the current directory. */
    @Option(names = "--model", paramLabel = "DIR", defaultValue = "${sys:carrycast.home:-.}/config/models/weather-lstm",
            description = "Model bundle (default: the bundled ${DEFAULT-VALUE}).")
    Path model;

    @Option(names = "--report-dir", paramLabel = "DIR", defaultValue = "reports/demo",
            description = "Where report.html and report.png go (default: ${DEFAULT-VALUE}).")
    Path reportDir;

    @Option(names = "--keep-broker", description = "Keep the broker (and its topics) running after the summary, until Ctrl-C.")
    boolean keepBroker;

    @Option(names = "--port", defaultValue = "0", description = "Broker client port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--rollout-steps", defaultValue = "" + Demo.DEFAULT_ROLLOUT_STEPS, paramLabel = "N",
            description = "Forecast steps (days) to roll out to, each scored on its own, when the model's card has "
                    + "no rollout block: targets fed back, other fields held, calendar advanced; 0 turns it off "
                    + "(default: ${DEFAULT-VALUE}).")
    int rolloutSteps;

    @Option(names = "--irregular",
            description = "Replay each day as 1 to 5 irregular readings (exact: max, min, sum and mean of them give "
                    + "the day's values) that a resample block in the model's card combines back into days.")
    boolean irregular;

    @Override
    public Integer call() throws Exception {
        Demo.Options options = new Demo.Options(csv, model, reportDir, eventsPerSecond, keepBroker, port, rolloutSteps,
                irregular);
        // With --keep-broker, Ctrl-C after the summary stops the broker; the exit code stays the demo's.
        return new Demo(options, StopSignals::awaitOne).run().modelBeatsPersistenceEverywhere() ? 0 : 1;
    }
}
