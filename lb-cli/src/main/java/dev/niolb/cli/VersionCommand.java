package dev.niolb.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code niolb version}: the version, the Java runtime and the platform, on one line. */
@Command(name = "version", mixinStandardHelpOptions = true, versionProvider = Version.class,
    description = "Print niolb's version, the Java version and the platform.")
public final class VersionCommand implements Runnable {
    @Spec
    private CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().println(Version.line());
        spec.commandLine().getOut().flush();
    }
}
