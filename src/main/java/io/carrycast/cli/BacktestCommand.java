package io.carrycast.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.carrycast.accuracy.Intervals;
import io.carrycast.backtest.Backtest;
import io.carrycast.backtest.EventFile;
import io.carrycast.backtest.Evaluation;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.bundle.ModelCard;
import io.carrycast.config.CarrycastConfig;
import io.carrycast.engine.Router;
import io.carrycast.forecast.Admission;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.forecast.LateEvents;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The forecasting core over a file, no Kafka: forecasts as JSON lines, scores on stdout. Events pass the
 * stream's own admission rules; refused events are reported with their reasons.
 */
@Command(name = "backtest", mixinStandardHelpOptions = true,
        description = "Forecast every event of a CSV or JSON-lines file and score the model against persistence.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:forecasts written and scored",
                "2:bad options, unreadable file or model",
                "3:events were refused (their reasons are printed); --allow-refused makes this 0",
                "4:no score can be computed: a target of the model is not a field of the events, or no "
                        + "forecast's target time in the scoring range has an observed value"})
final class BacktestCommand implements Callable<Integer> {

    static final int EXIT_REFUSED = 3;
    static final int EXIT_NO_SCORES = 4;

    @Option(names = "--model", paramLabel = "DIR", description = "Model bundle directory; required unless --config "
            + "declares routes (carrycast.routes), whose bundles are then the models, each event forecast by its "
            + "route's, as the stream does.")
    Path model;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "Events: .csv (with header) or JSON lines.")
    Path input;

    @Option(names = "--output", paramLabel = "FILE", defaultValue = "forecasts.jsonl",
            description = "Where the forecasts go, one JSON object per line (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--key-field", required = true, description = "Field holding the series id.")
    String keyField;

    @Option(names = "--timestamp-field", required = true, description = "Field holding the event time.")
    String timestampField;

    @Option(names = "--timestamp-format", defaultValue = "iso",
            description = "iso, epoch_millis, epoch_seconds or a java.time pattern (default: ${DEFAULT-VALUE}).")
    String timestampFormat;

    @Option(names = "--score-from", paramLabel = "DATE", description = "Score only targets on or after this date (UTC).")
    LocalDate scoreFrom;

    @Option(names = "--score-until", paramLabel = "DATE", description = "Score only targets before this date (UTC).")
    LocalDate scoreUntil;

    @Option(names = "--config", paramLabel = "FILE", description = "The forecaster's configuration (as for run; "
            + "CARRYCAST_* variables apply): its carrycast.state.max.gap.ms and carrycast.state.gap.policy are "
            + "the backtest's gap rule, its carrycast.lateness.* settings its rules for late events, its "
            + "carrycast.intervals.* settings the intervals each forecast carries.")
    Path config;

    @Option(names = "--max-gap-ms", paramLabel = "MS", description = "Longest silence of a key, in event time, "
            + "after which its state no longer follows on; 0: no limit (default: --config's, else 0).")
    Long maxGapMs;

    @Option(names = "--gap-policy", paramLabel = "POLICY", description = "After a longer silence: reset or reprime "
            + "(default: --config's, else reset).")
    String gapPolicy;

    @Option(names = "--allowed-lateness-ms", paramLabel = "MS", description = "How far an event may be behind its "
            + "key's latest one and still be corrected, as carrycast.lateness.allowed.ms; 0: refused as late "
            + "(default: --config's, else 0).")
    Long allowedLatenessMs;

    @Option(names = "--allow-refused", description = "Exit 0 even when events were refused.")
    boolean allowRefused;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter console = spec.commandLine().getOut();
        Admission.GapRule gapRule = gapRule();
        long from = scoreFrom == null ? Long.MIN_VALUE : scoreFrom.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long until = scoreUntil == null ? Long.MAX_VALUE : scoreUntil.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        EventReader reader = new EventReader(timestampField, TimestampFormat.of(timestampFormat), Integer.MAX_VALUE);
        List<ObjectNode> events = EventFile.read(input);
        CarrycastConfig settings = config == null ? null : CarrycastConfig.load(config, System.getenv());
        Router router = settings == null ? null : settings.router();
        List<Path> modelDirs = modelDirs(settings, router);
        Backtest.Result result;
        List<String> missingTargets = new ArrayList<>();
        List<RecurrentModelRunner> runners = new ArrayList<>();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(output))) {
            List<Forecaster> forecasters = new ArrayList<>();
            List<ModelCard> cards = new ArrayList<>();
            for (Path dir : modelDirs) {
                RecurrentModelRunner runner = RecurrentModelRunner.open(ModelBundle.load(dir), RunnerOptions.defaults());
                runners.add(runner);
                forecasters.add(new Forecaster(runner));
                cards.add(runner.bundle().card());
                Backtest.targetsMissingFrom(runner.bundle().card(), events).forEach(field -> addOnce(missingTargets, field));
            }
            Evaluation evaluation = new Evaluation(cards, t -> t >= from && t < until);
            Duration grace = settings == null ? Duration.ofMillis(CarrycastConfig.RESAMPLE_GRACE_MS_DEFAULT)
                    : settings.resampleGrace();
            Intervals intervals = settings == null ? Intervals.NONE : settings.intervals();
            result = new Backtest(router, forecasters, reader, keyField, gapRule, lateness(), grace, intervals).run(events,
                    evaluation, forecast -> {
                        try {
                            out.write(ForecastJson.write(forecast));
                            out.write('\n');
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        } finally {
            runners.forEach(RecurrentModelRunner::close);
        }
        console.printf("%d forecasts written to %s%n", result.forecasts(), output);
        if (result.redeliveries() > 0) {
            // With lateness allowed, a redelivery is matched against every event the key's history holds, so
            // it may lie far behind the key's last event.
            console.printf("%s dropped (same key, time and features as %s)%n",
                    count(result.redeliveries(), "exact redelivery", "exact redeliveries"),
                    lateness().allowedMs() > 0 ? "an earlier event of the key: its last, or one within the "
                            + "allowed lateness before it" : "the key's last event");
        }
        reportRefusals(console, result);
        boolean scored = reportScores(console, result, missingTargets);
        console.flush();
        if (result.refused() > 0 && !allowRefused) {
            spec.commandLine().getErr().printf("carrycast: %d of %s refused; --allow-refused accepts that%n",
                    result.refused(), count(events.size(), "event", "events"));
            return EXIT_REFUSED;
        }
        return scored ? 0 : EXIT_NO_SCORES;
    }

    /** The model of {@code --model}, or with routes in {@code --config} each route's, in the router's order. */
    private List<Path> modelDirs(CarrycastConfig settings, Router router) {
        if (router == null) {
            if (model == null) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--model is required unless --config declares routes (carrycast.routes)");
            }
            return List.of(model);
        }
        if (model != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--model and routes in --config "
                    + "(carrycast.routes): the routes' bundles, and carrycast.model.dir as the default route, are the "
                    + "models; leave --model out");
        }
        Map<String, Path> dirs = new HashMap<>();
        settings.routes().forEach(route -> dirs.put(route.name(), route.modelDir()));
        return router.routes().stream()
                .map(route -> route.rule() == null ? settings.modelDir() : dirs.get(route.name())).toList();
    }

    private static void addOnce(List<String> fields, String field) {
        if (!fields.contains(field)) {
            fields.add(field);
        }
    }

    /** The lateness bound from the option, else from the configuration file, else none. */
    private LateEvents.Bound lateness() {
        LateEvents.Bound base = config == null ? LateEvents.Bound.NONE
                : CarrycastConfig.load(config, System.getenv()).lateness();
        if (allowedLatenessMs != null && allowedLatenessMs < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--allowed-lateness-ms must be >= 0, found " + allowedLatenessMs);
        }
        return new LateEvents.Bound(allowedLatenessMs != null ? allowedLatenessMs : base.allowedMs(), base.maxEvents());
    }

    /** The gap rule from the options, else from the configuration file, else none. */
    private Admission.GapRule gapRule() {
        Admission.GapRule base = config == null ? Admission.GapRule.NONE
                : CarrycastConfig.load(config, System.getenv()).gapRule();
        if (gapPolicy != null && !gapPolicy.equals("reset") && !gapPolicy.equals("reprime")) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--gap-policy must be reset or reprime, found " + gapPolicy);
        }
        if (maxGapMs != null && maxGapMs < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-gap-ms must be >= 0, found " + maxGapMs);
        }
        return new Admission.GapRule(maxGapMs != null ? maxGapMs : base.maxGapMs(),
                gapPolicy != null ? gapPolicy.equals("reprime") : base.reprime());
    }

    private static void reportRefusals(PrintWriter console, Backtest.Result result) {
        if (result.refused() == 0) {
            return;
        }
        console.printf("%s refused, as the stream would dead-letter them: %s%n",
                count(result.refused(), "event", "events"),
                result.refusedByReason().entrySet().stream()
                        .map(entry -> entry.getKey().label() + " " + entry.getValue())
                        .collect(Collectors.joining(", ")));
        result.firstRefusals().forEach(refusal -> console.println("  " + refusal));
        if (result.refused() > result.firstRefusals().size()) {
            console.printf("  ... and %d more%n", result.refused() - result.firstRefusals().size());
        }
    }

    /** Prints the scores, or why there are none; @return whether every target could be scored. */
    private boolean reportScores(PrintWriter console, Backtest.Result result, List<String> missingTargets) {
        for (String target : missingTargets) {
            console.printf(Locale.ROOT, "Target '%s' of the model is not a field of the events in %s: no scores "
                    + "can be computed for it.%n", target, input);
        }
        if (result.scores().isEmpty()) {
            if (missingTargets.isEmpty()) {
                console.println("No scores: no forecast's target time in the scoring range has an observed value.");
            }
            return false;
        }
        console.print(Evaluation.table(result.scores()));
        return missingTargets.isEmpty();
    }

    private static String count(int n, String one, String many) {
        return n + " " + (n == 1 ? one : many);
    }
}
