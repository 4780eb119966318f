package dev.niolb.cli;

import dev.niolb.config.Config;
import dev.niolb.config.file.ConfigFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CheckCommandTest {
    /** The example shipped in the distribution as conf/niolb.yaml. */
    static final Path EXAMPLE = Path.of("src/dist/conf/niolb.yaml");

    private static final String VALID = """
        listeners:
          - bind: 127.0.0.1:8080
        groups:
          - name: web
            servers: [10.0.0.1:80, "10.0.0.2:80,weight=3"]
        """;

    @Test
    void aValidFileExitsZeroAndPrintsAnEffectiveConfigThatReadsBackEqual(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), VALID);

        final Cli result = Cli.run("check", "--config", file.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.err()).isEmpty();
        assertThat(result.out()).startsWith("# " + file + " is valid.").contains("    idle-timeout: 10m\n");
        final Config effective = ConfigFile.parse(result.out(), "stdout");
        assertThat(effective).isEqualTo(new ConfigFile(file).load());
    }

    @Test
    void quietPrintsNothingForAValidFileAndStillTheOneLineForAnInvalidOne(@TempDir final Path dir) throws IOException {
        final Path valid = Files.writeString(dir.resolve("valid.yaml"), VALID);
        final Path invalid = Files.writeString(dir.resolve("invalid.yaml"), VALID.replace("weight=3", "weight=900"));

        final Cli ok = Cli.run("check", "--quiet", "--config", valid.toString());
        final Cli refused = Cli.run("check", "-q", "--config", invalid.toString());

        assertThat(ok.exitCode()).isZero();
        assertThat(ok.out()).isEmpty();
        assertThat(ok.err()).isEmpty();
        assertThat(refused.exitCode()).isEqualTo(1);
        assertThat(refused.errLines()).singleElement().asString().startsWith("niolb: " + invalid + ":5: ");
    }

    @Test
    void anInvalidFileIsOneLineNamingFileLineAndKeyAndExitCode1(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), VALID.replace("weight=3", "weight=900"));

        final Cli result = Cli.run("check", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEmpty();
        assertThat(result.errLines()).containsExactly("niolb: " + file
            + ":5: groups[0].servers[1]: server '10.0.0.2:80,weight=900': weight must be 0..256, got 900");
    }

    @Test
    void aFileNestedTwoThousandLevelsDeepIsOneLineAndExitCode1NotAStackTrace(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("deep.yaml"), "listeners: " + "[".repeat(2000) + "]".repeat(2000));

        final Cli result = Cli.run("check", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: " + file + ":1: nested deeper than 64 levels; not read");
    }

    @Test
    void aScalarAliasedThousandsOfTimesIsOneLineAndExitCode1(@TempDir final Path dir) throws IOException {
        // what a hostile tester sent: one 200 KB scalar named 5,000 times (here as group names, which the reader
        // lists in its error message about a listener's group): it used to expand past the heap
        final StringBuilder yaml = new StringBuilder("listeners:\n  - bind: 127.0.0.1:8080\n    group: nope\ngroups:\n")
            .append("  - name: &big ").append("g".repeat(200_000)).append("\n    servers: [10.0.0.1:80]\n");
        for (int i = 0; i < 5000; i++) {
            yaml.append("  - {name: *big, servers: [10.0.0.1:80]}\n");
        }
        final Path file = Files.writeString(dir.resolve("bomb.yaml"), yaml);

        final Cli result = Cli.run("check", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).singleElement().asString()
            .matches("niolb: " + java.util.regex.Pattern.quote(file.toString())
                + ":\\d+: expands to more than 16 Mi characters through its aliases; not read");
    }

    @Test
    void twoListenersOnTheSameAddressAreRefusedByCheckNotOnlyByRun(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), """
            listeners:
              - {name: a, bind: 127.0.0.1:8080}
              - {name: b, bind: "tcp://127.0.0.1:8080"}
            groups:
              - name: web
                servers: [10.0.0.1:80]
            """);

        final Cli result = Cli.run("check", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).singleElement().asString()
            .endsWith("'a' and 'b' both bind tcp://127.0.0.1:8080");
    }

    @Test
    void anAdminAddressAListenerHoldsIsRefusedWithRunsLineAndExitCode(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), "admin:\n  address: 127.0.0.1:8080\n" + VALID);

        final Cli result = Cli.run("check", "-q", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines())
            .containsExactly("niolb: cannot listen on admin address 127.0.0.1:8080: listener tcp://127.0.0.1:8080 binds it");
    }

    @Test
    void aMetricsAddressAWildcardListenerCoversIsRefusedWithRunsLine(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), "admin:\n  metrics-address: 127.0.0.1:8080\n"
            + VALID.replace("127.0.0.1:8080", "0.0.0.0:8080"));

        final Cli result = Cli.run("check", "-q", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines())
            .containsExactly("niolb: cannot listen on metrics address 127.0.0.1:8080: listener tcp://0.0.0.0:8080 binds it");
    }

    @Test
    void aTokenFileThatDoesNotReadIsRefusedWithRunsLineAndExitCode(@TempDir final Path dir) throws IOException {
        final Path missing = dir.resolve("token");
        final Path file = Files.writeString(dir.resolve("niolb.yaml"),
            "admin:\n  address: 127.0.0.1:9901\n  token-file: " + missing + "\n" + VALID);

        final Cli result = Cli.run("check", "-q", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines())
            .containsExactly("niolb: run would not start: cannot read admin token file " + missing + ": no such file");
    }

    @Test
    void anAccessLogFileRunWouldRefuseIsRefusedByCheckWithRunsLine(@TempDir final Path dir) throws IOException {
        final Path target = Files.writeString(dir.resolve("real.log"), "");
        final Path link = Files.createSymbolicLink(dir.resolve("access.log"), target);
        final Path notADirectory = Files.writeString(dir.resolve("file"), "");
        for (final String path : List.of(link.toString(), "/dev/null", notADirectory + "/access.log", dir.toString())) {
            final Path file = Files.writeString(dir.resolve("niolb.yaml"), "defaults:\n  access-log: plain\n"
                + "  access-log-file: " + path + "\n" + VALID);

            final Cli result = Cli.run("check", "-q", "--config", file.toString());

            assertThat(result.exitCode()).as(path).isEqualTo(1);
            assertThat(result.errLines()).as(path).singleElement().asString()
                .startsWith("niolb: cannot write the access log to " + path + ": ");
        }
        assertThat(Files.isSymbolicLink(link)).as("left as it was").isTrue();
        assertThat(dir.resolve("file")).isRegularFile();
    }

    @Test
    void anEmptyAccessLogFileIsRefusedAsEmptyNotAsTheWorkingDirectory(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), "defaults:\n  access-log: plain\n"
            + "  access-log-file: \"\"\n" + VALID);

        final Cli result = Cli.run("check", "-q", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines())
            .containsExactly("niolb: access-log-file is empty: name a file, or leave it out for standard output");
    }

    @Test
    void aTokenFileThatIsADirectoryOrEmptyIsRefused(@TempDir final Path dir) throws IOException {
        final Path empty = Files.writeString(dir.resolve("empty"), "");
        final String admin = "admin:\n  address: 127.0.0.1:9901\n  token-file: ";
        final Path directory = Files.writeString(dir.resolve("dir.yaml"), admin + dir + "\n" + VALID);
        final Path emptyFile = Files.writeString(dir.resolve("empty.yaml"), admin + empty + "\n" + VALID);

        final Cli fromDirectory = Cli.run("check", "-q", "--config", directory.toString());
        final Cli fromEmpty = Cli.run("check", "-q", "--config", emptyFile.toString());

        assertThat(fromDirectory.exitCode()).isEqualTo(1);
        assertThat(fromDirectory.errLines()).singleElement().asString()
            .startsWith("niolb: run would not start: cannot read admin token file " + dir + ": ");
        assertThat(fromEmpty.exitCode()).isEqualTo(1);
        assertThat(fromEmpty.errLines()).containsExactly("niolb: run would not start: admin token file " + empty + " is empty");
    }

    @Test
    void deferAcceptWithTransportNioIsRefusedWithRunsLineAndExitCode(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"),
            "defaults:\n  transport: nio\n  defer-accept: true\n" + VALID);

        final Cli result = Cli.run("check", "-q", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines())
            .containsExactly("niolb: run would not start: defer-accept needs the epoll transport (running nio)");
    }

    @Test
    void deferAcceptWithTransportNioIsAConfigRunCannotStartWithFromAFileAndAUsageErrorAsFlags(@TempDir final Path dir)
        throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"),
            "defaults:\n  transport: nio\n  defer-accept: true\n" + VALID);

        final Cli fromFile = Cli.run("run", "--config", file.toString());
        final Cli fromFlags = Cli.run("run", "--listen", "127.0.0.1:0", "--server", "127.0.0.1:9", "--transport", "nio",
            "--defer-accept", "--admin", "none");

        assertThat(fromFile.exitCode()).as("78: the unit does not restart into it").isEqualTo(78);
        assertThat(fromFile.errLines())
            .containsExactly("niolb: " + file + ": defer-accept needs the epoll transport (running nio)");
        assertThat(fromFlags.exitCode()).isEqualTo(2);
        assertThat(fromFlags.errLines()).first().asString()
            .isEqualTo("niolb: defer-accept needs the epoll transport (running nio)");
    }

    @Test
    void aFullwidthDigitInTheFileIsNotANumber(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("niolb.yaml"), "defaults:\n  threads: \uff12\n" + VALID);

        final Cli result = Cli.run("check", "--config", file.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: " + file
            + ":2: defaults.threads: must be auto or a whole number 1..256, got '\uff12'");
    }

    @Test
    void aMissingFileIsOneLineAndExitCode1(@TempDir final Path dir) {
        final Cli result = Cli.run("check", "--config", dir.resolve("none.yaml").toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.errLines()).containsExactly("niolb: cannot read " + dir.resolve("none.yaml") + ": no such file");
    }

    @Test
    void checkWithoutAFileIsAUsageError() {
        final Cli result = Cli.run("check");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.errLines().getFirst()).isEqualTo("niolb: Missing required option: '--config=FILE'");
    }

    @Test
    void theReadmesExampleConfigIsValid() throws IOException {
        final String readme = Files.readString(Path.of("../README.md"));
        final int section = readme.indexOf("## Config file");
        final int start = readme.indexOf("```yaml\n", section) + "```yaml\n".length();
        final String example = readme.substring(start, readme.indexOf("```", start));

        assertThat(section).isPositive();
        assertThat(ConfigFile.parse(example, "README.md").groups()).extracting(g -> g.name()).containsExactly("web", "dns");
    }

    @Test
    void checkAnswersHelpWithItsUsage() {
        final Cli result = Cli.run("check", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("Usage: niolb check").contains("--config=FILE");
    }

    @Test
    void theExampleConfigOfTheDistributionIsValid() {
        final Cli result = Cli.run("check", "--config", EXAMPLE.toString());

        assertThat(result.err()).isEmpty();
        assertThat(result.exitCode()).isZero();
        assertThat(ConfigFile.parse(result.out(), "stdout")).isEqualTo(new ConfigFile(EXAMPLE).load());
    }
}
