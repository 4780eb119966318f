package dev.niolb.cli;

import dev.niolb.cli.log.LogOutputs;
import dev.niolb.LoadBalancer;
import dev.niolb.admin.AdminServer;
import dev.niolb.config.Config;
import dev.niolb.config.file.ConfigFile;
import dev.niolb.config.file.ConfigFileException;
import dev.niolb.config.file.ConfigSource;
import dev.niolb.config.file.ConfigWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import dev.niolb.reload.ConfigDiff;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code niolb check --config FILE}: validates a config file the way {@code run --config} reads it and prints the
 * effective config, every default filled in, as YAML that reads back to the same model. Exit 0 when valid, 1 with
 * one line naming the file, the line and the key when not: {@code nginx -t}, {@code haproxy -c}. A file that reads
 * but that {@code run} would refuse at start (an admin address a listener holds, a token file that does not read,
 * defer-accept with {@code transport: nio}) gets run's own line and exit code; check binds nothing for that.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
    exitCodeListHeading = ExitCodes.HEADING, exitCodeList = {ExitCodes.CHECK_OK, ExitCodes.CHECK_FAILED, ExitCodes.USAGE}, versionProvider = Version.class, sortOptions = false,
    description = {"Validate a config file and print the effective config, every default filled in.",
        "Exits 0 when the file is valid, or 1 with one line naming the file, the line and the key."},
    footerHeading = "%nExamples:%n",
    footer = {"  niolb check --config /etc/niolb/niolb.yaml",
        "  niolb check --config new.yaml --diff --against /etc/niolb/niolb.yaml",
        "  niolb check --quiet --config /etc/niolb/niolb.yaml && systemctl reload niolb"})
public final class CheckCommand implements Callable<Integer> {
    @Spec
    private CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE", description = "The YAML config file to check.")
    private Path config;

    @Option(names = "--diff", description = "Print what a reload from the config given with --against to this one "
        + "would change, in one line, instead of the effective config.")
    private boolean diff;

    @Option(names = "--against", paramLabel = "FILE", description = "With --diff: the config running now (its file).")
    private Path against;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing when the file is valid: only the exit code (and "
        + "the one line when it is not). The unit's ExecReload= checks so before it signals a reload.")
    private boolean quiet;

    @Override
    public Integer call() {
        if (diff != (against != null)) {
            throw new ParameterException(spec.commandLine(), diff ? "--diff needs --against FILE (the config running now)"
                : "--against goes with --diff");
        }
        final Config effective = load(new ConfigFile(config));
        refuseWhatRunWould(effective);
        if (quiet) {
            return 0;
        }
        final PrintWriter out = spec.commandLine().getOut();
        if (diff) {
            final ConfigDiff changes = ConfigDiff.between(load(new ConfigFile(against)), effective);
            final List<String> restartOnly = changes.restartOnlyItems();
            // as the reload itself reports it: what it applies, and apart what waits for a restart
            out.println("reload: " + (restartOnly.isEmpty() ? changes.summary()
                : changes.withoutRestartOnly().summary() + "; not applied until a restart: "
                + String.join(", ", restartOnly)));
            out.flush();
            return 0;
        }
        out.println("# " + config + " is valid. The effective config, every default filled in:");
        out.print(ConfigWriter.write(effective));
        out.flush();
        return 0;
    }

    /** check starts nothing: it says what run would do (black-box testing, session 32: "cannot start" read as its own). */
    static final String RUN_WOULD_NOT = "run would not start: ";

    /**
     * What {@code niolb run} would refuse at start though the file reads, found without binding anything: a
     * {@link Failure} with run's reason (and check's exit code 1).
     */
    static void refuseWhatRunWould(final Config config) {
        try {
            LogOutputs.preflight(config.logs());
        } catch (final LogOutputs.Refused e) {
            throw new Failure(e.getMessage()); // check's 1 for a file run would not start with, as for the others
        }
        try {
            LoadBalancer.preflight(config);
        } catch (final IOException e) {
            throw new Failure(RUN_WOULD_NOT + e.getMessage());
        }
        try {
            AdminServer.preflight(config.admin(), config.listeners());
        } catch (final BindException e) {
            throw new Failure(e.getMessage()); // names the address already
        } catch (final IOException e) {
            throw new Failure(RUN_WOULD_NOT + e.getMessage());
        }
    }

    /** The config the source reads, or a {@link Failure} (exit code 1) with its one-line report. */
    static Config load(final ConfigSource source) {
        try {
            return source.load();
        } catch (final ConfigFileException e) {
            throw new Failure(e.getMessage());
        }
    }
}
