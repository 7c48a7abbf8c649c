package io.carrycast.cli;

import io.carrycast.CarrycastException;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code carrycast} entry point. Expected failures print one line, not a stack trace. */
@Command(name = "carrycast", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Per-key recurrent-network forecasting on Kafka Streams with ONNX Runtime.",
        subcommands = {RunCommand.class, BacktestCommand.class, BrokerCommand.class, DemoCommand.class,
                CommandLine.HelpCommand.class})
public final class CarrycastCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new CarrycastCommand()).setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (e instanceof CarrycastException || e instanceof ConfigException) {
                commandLine.getErr().println("carrycast: " + e.getMessage());
                return 2;
            }
            throw e;
        });
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: run, backtest, broker or demo");
    }
}
