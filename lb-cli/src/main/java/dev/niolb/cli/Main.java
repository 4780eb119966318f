package dev.niolb.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/**
 * The {@code niolb} command: {@code run}, {@code check}, {@code demo}, {@code stats}, {@code server},
 * {@code reload}, {@code version}.
 *
 * <p>Exit codes: 0 ok, 1 runtime failure (a port in use, an address that cannot be bound), 2 usage error.
 */
@Command(name = "niolb", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "An L4 TCP load balancer on plain JDK NIO.",
    subcommands = {RunCommand.class, CheckCommand.class, DemoCommand.class, StatsCommand.class, ServerCommand.class,
        ReloadCommand.class, VersionCommand.class},
    footer = {"", "Exit codes: 0 ok, 1 runtime failure (e.g. port in use), 2 usage error."})
public final class Main implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    public static void main(final String[] args) {
        // System.exit and not a return: the engine's loop threads must not keep a stopped process alive
        System.exit(commandLine().execute(args));
    }

    /** The command with niolb's error reporting, writing to the given streams; tests run it in-process. */
    static int execute(final PrintWriter out, final PrintWriter err, final String... args) {
        final CommandLine cmd = commandLine();
        cmd.setOut(out);
        cmd.setErr(err);
        return cmd.execute(args);
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main())
            .registerConverter(Integer.class, new Converters.WholeNumber())
            .registerConverter(int.class, new Converters.WholeNumber())
            .setParameterExceptionHandler(new UsageErrorHandler())
            .setExecutionExceptionHandler(new FailureHandler());
    }

    /** {@code niolb} alone: a usage error, reported like any other. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: expected run, check, demo, stats, server, reload or version");
    }
}
