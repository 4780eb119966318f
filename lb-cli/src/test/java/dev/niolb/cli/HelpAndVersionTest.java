package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class HelpAndVersionTest {
    /** The project version, passed in by surefire from the pom. */
    private static final String VERSION = System.getProperty("niolb.test.version");

    @Test
    void versionPrintsTheProjectVersionTheJavaVersionAndThePlatform() {
        final Cli result = Cli.run("version");

        assertThat(VERSION).isNotBlank();
        assertThat(result.exitCode()).isZero();
        assertThat(result.out().strip()).isEqualTo("niolb " + VERSION + " (Java " + System.getProperty("java.version")
            + ", " + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + ")");
        assertThat(result.err()).isEmpty();
    }

    @Test
    void dashDashVersionSaysTheSameAsTheVersionCommand() {
        assertThat(Cli.run("--version").out()).isEqualTo(Cli.run("version").out());
    }

    @ParameterizedTest(name = "niolb {0} --help")
    @ValueSource(strings = {"", "run", "demo", "stats", "version"})
    void everyCommandAnswersHelpWithItsUsageAndExitCode0(final String command) {
        final Cli result = command.isEmpty() ? Cli.run("--help") : Cli.run(command, "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("Usage: niolb" + (command.isEmpty() ? "" : " " + command));
        assertThat(result.err()).isEmpty();
    }

    @Test
    void runHelpShowsTheDefaults() {
        assertThat(Cli.run("run", "--help").out())
            .contains("(default: roundrobin)", "(default: 5s)", "(default: 10m)", "(default: 2)", "(default: 30s)",
                "(default: 1024)", "(default: 64k)");
    }
}
