package dev.niolb.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The {@code niolb} command: {@code run}, {@code check}, {@code demo}, {@code stats}, {@code server},
 * {@code reload}, {@code version}.
 *
 * <p>Exit codes: 0 ok, 1 runtime failure (a port in use, an address that cannot be bound), 2 usage error, 78 a config
 * {@code run} cannot start with (EX_CONFIG: the systemd unit does not restart into it).
 */
@Command(name = "niolb", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "An L4 (TCP and UDP) load balancer on JDK NIO, or on epoll and splice on Linux.",
    subcommands = {RunCommand.class, CheckCommand.class, DemoCommand.class, StatsCommand.class, ServerCommand.class,
        ReloadCommand.class, VersionCommand.class},
    // a list, not a footer: picocli's man page generator writes an exit status section of it, and leaves a footer
    // without a heading out (black-box testing, session 32: man niolb had no exit codes)
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:ok", "1:runtime failure (e.g. port in use)", "2:usage error",
        "78:a config run cannot start with (a file unreadable or invalid, an admin token file without a token, "
            + "an access log file that cannot be written)"})
public final class Main implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    /**
     * Each subcommand by its name, as the annotation above lists them. picocli builds the model of every
     * subcommand (its options, by reflection) when the root is built; {@link #commandLineFor} builds only the one
     * that runs. Listed again rather than read from the annotation, which cost a short command about 30 ms more
     * (reading it and building the map at start); {@code SingleSubcommandTest} keeps the two lists equal.
     */
    static final Map<String, Supplier<Object>> SUBCOMMANDS = Map.of(
        "run", RunCommand::new, "check", CheckCommand::new, "demo", DemoCommand::new, "stats", StatsCommand::new,
        "server", ServerCommand::new, "reload", ReloadCommand::new, "version", VersionCommand::new);

    /** How long the exit waits for queued log lines: AsyncAppender's own flush bound (1 s), and its stop. */
    private static final long LOG_FLUSH_MS = 2_000;

    public static void main(final String[] args) {
        if (args.length > 0 && args[0].equals("run")) {
            ReloadSignal.holdUntilStarted(); // a SIGHUP during start-up would end the process
        }
        // run and demo write logs to stdout, which a stop must not wait on (StuckStdoutProcessTest): theirs stays
        final boolean serves = args.length > 0 && (args[0].equals("run") || args[0].equals("demo"))
            && java.util.Arrays.stream(args).noneMatch(a -> a.equals("--help") || a.equals("-h") || a.equals("-V")
                || a.equals("--version")); // their help and version are output like any other command's
        final StandardOutput stdout = serves ? null : StandardOutput.install();
        // System.exit and not a return: the engine's loop threads must not keep a stopped process alive
        int code = commandLineFor(args).execute(args);
        flushLogs();
        final String failure = stdout == null ? null : stdout.failure();
        if (failure != null && code == 0) {
            // what the command printed did not all arrive (a full disk): the file it went to is not the answer
            System.err.println("niolb: cannot write to standard output: " + failure);
            code = 1;
        }
        System.exit(code);
    }

    /**
     * Writes the log lines still queued (logback.xml's ASYNC_STDOUT) before the process exits, within a bound: a
     * standard output nobody reads would block the writing for ever, and the process must exit all the same.
     */
    private static void flushLogs() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            final Thread stopping = Thread.ofPlatform().daemon().name("niolb-log-flush").start(context::stop);
            try {
                stopping.join(LOG_FLUSH_MS);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The command with niolb's error reporting, writing to the given streams; tests run it in-process. */
    static int execute(final PrintWriter out, final PrintWriter err, final String... args) {
        final CommandLine cmd = commandLineFor(args);
        cmd.setOut(out);
        cmd.setErr(err);
        return cmd.execute(args);
    }

    /** The whole command: every subcommand's model (help, the man pages, completion, and tests that read it). */
    static CommandLine commandLine() {
        return configured(new CommandLine(new Main()));
    }

    /**
     * The command that runs {@code args}: when the first one names a subcommand, a root holding only that one,
     * else the whole command (help, a misspelt command and its suggestions). Building every subcommand's model
     * took a quarter of a short command's start ({@code niolb version}: 475 ms against 342 ms).
     */
    static CommandLine commandLineFor(final String... args) {
        final Supplier<Object> only = args.length == 0 ? null : SUBCOMMANDS.get(args[0]);
        return only == null ? commandLine()
            : configured(new CommandLine(new SingleCommandRoot()).addSubcommand(args[0], only.get()));
    }

    private static CommandLine configured(final CommandLine cmd) {
        return cmd
            .registerConverter(Integer.class, new Converters.WholeNumber())
            .registerConverter(int.class, new Converters.WholeNumber())
            .setParameterExceptionHandler(new UsageErrorHandler())
            .setExecutionExceptionHandler(new FailureHandler());
    }

    /** The root of {@link #commandLineFor}'s one-subcommand command: named like ours, for "niolb run" in messages. */
    @Command(name = "niolb")
    static final class SingleCommandRoot {
    }

    /** {@code niolb} alone: a usage error, reported like any other. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: expected run, check, demo, stats, server, reload or version");
    }
}
