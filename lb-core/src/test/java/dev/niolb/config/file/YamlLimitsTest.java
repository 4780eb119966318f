package dev.niolb.config.file;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Issue 17, items 1 and 5: a config file can not take the process down, however it is made. */
class YamlLimitsTest {
    private static final String MINIMAL = """
        listeners:
          - bind: 127.0.0.1:8080
        groups:
          - name: web
            servers:
              - 10.0.0.1:80
        """;

    @Test
    void aBigScalarAliasedThousandsOfTimesIsRefusedBeforeItIsExpanded() {
        final StringBuilder yaml = new StringBuilder(MINIMAL).append("x-big: &big ").append("x".repeat(200_000))
            .append("\nx-copies:\n");
        for (int i = 0; i < 5000; i++) {
            yaml.append("  - *big\n");
        }
        assertThatThrownBy(() -> ConfigFile.parse(yaml.toString(), "niolb.yaml"))
            .isInstanceOf(ConfigFileException.class)
            .hasMessageMatching("niolb\\.yaml:\\d+: expands to more than 16 Mi characters through its aliases; not read");
    }

    @Test
    void nestedAliasesOfScalarsAreCountedAsWhatTheyStandFor() {
        // billion laughs made of lists small enough for SnakeYAML's own limit on aliases of collections: the
        // sizes multiply level by level, and the last level is counted, not built
        final StringBuilder yaml = new StringBuilder(MINIMAL).append("x-a: &a ").append("y".repeat(1000)).append('\n');
        yaml.append("x-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n");
        yaml.append("x-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n");
        yaml.append("x-d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n");
        yaml.append("x-e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n");
        yaml.append("x-f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n");
        assertThatThrownBy(() -> ConfigFile.parse(yaml.toString(), "niolb.yaml"))
            .hasMessage("niolb.yaml:12: expands to more than 16 Mi characters through its aliases; not read");
    }

    @Test
    void moreThanAThousandAliasesAreRefused() {
        final StringBuilder yaml = new StringBuilder(MINIMAL).append("x-a: &a 1\nx-copies:\n");
        for (int i = 0; i < 1001; i++) {
            yaml.append("  - *a\n");
        }
        assertThatThrownBy(() -> ConfigFile.parse(yaml.toString(), "niolb.yaml"))
            .hasMessage("niolb.yaml:1009: more than 1000 aliases; not read");
    }

    @Test
    void aFewAliasesOfScalarsStillWork() {
        final String yaml = """
            listeners:
              - bind: &where 127.0.0.1:8080
            groups:
              - name: web
                servers:
                  - 10.0.0.1:80
            x-note: *where
            """;
        assertThatThrownBy(() -> ConfigFile.parse(yaml, "niolb.yaml"))
            .as("the reader gets as far as the unknown key: the alias itself passed")
            .hasMessageContaining("unknown key 'x-note'");
    }

    @Test
    void twoThousandLevelsOfNestingAreOneLineNotAStackOverflow() {
        final String yaml = "listeners: " + "[".repeat(2000) + "]".repeat(2000) + "\n";
        assertThatThrownBy(() -> ConfigFile.parse(yaml, "niolb.yaml"))
            .isInstanceOf(ConfigFileException.class)
            .hasMessage("niolb.yaml:1: nested deeper than 64 levels; not read");
    }

    @Test
    void deepBlockNestingIsRefusedAtTheLineWhereItGoesTooDeep() {
        final StringBuilder yaml = new StringBuilder();
        for (int level = 0; level < 100; level++) {
            yaml.append("  ".repeat(level)).append("k").append(level).append(":\n");
        }
        yaml.append("  ".repeat(100)).append("v\n");
        assertThatThrownBy(() -> ConfigFile.parse(yaml.toString(), "niolb.yaml"))
            .hasMessage("niolb.yaml:65: nested deeper than 64 levels; not read");
    }

    @Test
    void aFileOverEightMebibytesIsRefusedWithoutReadingItWhole(@TempDir final Path dir) throws IOException {
        final Path big = dir.resolve("big.yaml");
        Files.writeString(big, MINIMAL + ("# padding " + "p".repeat(1000) + "\n").repeat(9000));
        assertThatThrownBy(() -> new ConfigFile(big).load())
            .hasMessage("cannot read " + big + ": larger than 8 MiB");
    }

    @Test
    void anEndlessFileSuchAsDevZeroIsRefused() {
        final Path zero = Path.of("/dev/zero");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(zero), "no /dev/zero on this system");
        assertThatThrownBy(() -> new ConfigFile(zero).load())
            .hasMessage("cannot read /dev/zero: larger than 8 MiB");
    }

    @Test
    void aLineLongerThanAMebibyteIsRefusedBeforeTheParserTakesItsSquaredTime() {
        final String yaml = MINIMAL + "# " + "x".repeat(YamlLimits.MAX_LINE_CHARS) + "\n";

        assertThatThrownBy(() -> ConfigFile.parse(yaml, "niolb.yaml")).hasMessage("niolb.yaml:7: a line longer than "
            + "1 MiB; not read (write a long list of servers one to a line)");
    }

    @Test
    void aListOfServersAliasedByManyGroupsCountsEachTimeItIsUsed() {
        final StringBuilder yaml = new StringBuilder("listeners:\n  - bind: 127.0.0.1:8080\n    group: g0\ngroups:\n"
            + "  - name: g0\n    servers: &s\n");
        for (int i = 0; i < 2000; i++) {
            yaml.append("      - 10.0.").append(i >> 8).append('.').append(i & 255).append(":80\n");
        }
        for (int g = 1; g < 45; g++) {
            yaml.append("  - name: g").append(g).append("\n    servers: *s\n");
        }

        assertThatThrownBy(() -> ConfigFile.parse(yaml.toString(), "niolb.yaml")).isInstanceOf(ConfigFileException.class)
            .hasMessageEndingWith(": more than 50000 servers in the file; not read");
    }

    @Test
    void aFileJustUnderTheLimitIsRead(@TempDir final Path dir) throws IOException {
        final Path padded = dir.resolve("padded.yaml");
        final String padding = ("#" + "p".repeat(1022) + "\n").repeat(8000); // 8,192,000 bytes of comments
        Files.writeString(padded, MINIMAL + padding);
        assertThat(Files.size(padded)).isLessThanOrEqualTo(YamlLimits.MAX_FILE_BYTES);
        assertThat(new ConfigFile(padded).load().listeners()).hasSize(1);
    }
}
