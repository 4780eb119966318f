package dev.niolb.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Main#commandLineFor}: the subcommand that runs, built alone, behaves as it does in the whole command. The
 * command lines are usage errors or commands that end at once; one that started niolb would be a failure, not a
 * hang.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class SingleSubcommandTest {
    @Test
    void theSubcommandsByNameAreExactlyThoseOfTheWholeCommand() {
        final Map<String, Class<?>> whole = Main.commandLine().getSubcommands().entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getCommand().getClass()));
        final Map<String, Class<?>> byName = Main.SUBCOMMANDS.entrySet().stream()
            .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().get().getClass()));

        assertThat(byName).isEqualTo(whole);
    }

    @Test
    void aFirstArgumentThatNamesASubcommandBuildsThatOneAloneUnderNiolb() {
        final CommandLine cmd = Main.commandLineFor("stats", "--admin", "127.0.0.1:9900");

        assertThat(cmd.getSubcommands()).containsOnlyKeys("stats");
        assertThat(cmd.getSubcommands().get("stats").getCommandSpec().qualifiedName()).isEqualTo("niolb stats");
    }

    @ParameterizedTest(name = "niolb {0}")
    @ValueSource(strings = {"", "--help", "rnu --listen :80", "--listen :80 run"})
    void withoutASubcommandFirstTheWholeCommandIsBuilt(final String args) {
        final CommandLine cmd = Main.commandLineFor(args.isEmpty() ? new String[0] : args.split(" "));

        assertThat(cmd.getSubcommands()).containsOnlyKeys(Main.SUBCOMMANDS.keySet());
    }

    /**
     * Usage errors (the handler and niolb's converters: {@code +0} is an int to picocli's own, not to niolb's), help
     * and a result read the same either way.
     */
    @ParameterizedTest(name = "niolb {0}")
    @ValueSource(strings = {
        "run --help", "run --sever 127.0.0.1:1", "run --listen nowhere --server 127.0.0.1:1",
        "run --listen 127.0.0.1:1 --server 127.0.0.1:1 --threads 0",
        "run --listen 127.0.0.1:1 --server 127.0.0.1:1 --threads +0",
        "check --bogus", "check --config /nonexistent/niolb.yaml", "server drain", "server weight web s1 -3",
        "stats --watch 0", "reload extra", "demo --listen 127.0.0.1:99999", "version", "version --help"})
    void aSubcommandBuiltAloneAnswersExactlyAsInTheWholeCommand(final String args) {
        final String[] argv = args.split(" ");

        assertThat(execute(Main.commandLineFor(argv), argv)).isEqualTo(execute(Main.commandLine(), argv));
    }

    private static String execute(final CommandLine cmd, final String... args) {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        final int code = cmd.execute(args);
        return "exit " + code + "\nout:\n" + out + "\nerr:\n" + err;
    }
}
