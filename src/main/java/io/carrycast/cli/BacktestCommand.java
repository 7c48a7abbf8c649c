package io.carrycast.cli;

import io.carrycast.backtest.Backtest;
import io.carrycast.backtest.EventFile;
import io.carrycast.backtest.Evaluation;
import io.carrycast.bundle.ModelBundle;
import io.carrycast.forecast.EventReader;
import io.carrycast.forecast.ForecastJson;
import io.carrycast.forecast.Forecaster;
import io.carrycast.forecast.TimestampFormat;
import io.carrycast.runner.RecurrentModelRunner;
import io.carrycast.runner.RunnerOptions;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The forecasting core over a file, no Kafka: forecasts as JSON lines, scores on stdout. */
@Command(name = "backtest", mixinStandardHelpOptions = true,
        description = "Forecast every event of a CSV or JSON-lines file and score the model against persistence.")
final class BacktestCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model bundle directory.")
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

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        java.io.PrintWriter console = spec.commandLine().getOut();
        long from = scoreFrom == null ? Long.MIN_VALUE : scoreFrom.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        long until = scoreUntil == null ? Long.MAX_VALUE : scoreUntil.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
        EventReader reader = new EventReader(timestampField, TimestampFormat.of(timestampFormat), Integer.MAX_VALUE);
        try (RecurrentModelRunner runner = RecurrentModelRunner.open(ModelBundle.load(model), RunnerOptions.defaults());
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(output))) {
            Forecaster forecaster = new Forecaster(runner);
            Evaluation evaluation = new Evaluation(forecaster.card(), t -> t >= from && t < until);
            Backtest.Result result = new Backtest(forecaster, reader, keyField).run(EventFile.read(input), evaluation,
                    forecast -> {
                        try {
                            out.write(ForecastJson.write(forecast));
                            out.write('\n');
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
            console.printf("%d forecasts written to %s; %d events refused%n", result.forecasts(), output,
                    result.refused());
            result.firstRefusals().forEach(line -> console.println("  refused " + line));
            console.print(Evaluation.table(result.scores()));
            console.flush();
        }
        return 0;
    }
}
