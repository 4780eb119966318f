package dev.niolb.config;

import dev.niolb.config.file.ConfigFile;
import dev.niolb.config.file.ConfigFileException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What fuzzing the parsers found, one behaviour each (the inputs also stay in the fuzz tests' seeds). */
class FuzzFindingsTest {
    @Test
    void aMessageShowsControlCharactersOfTheInputEscapedSoThatItStaysOneLine() {
        assertThatThrownBy(() -> Durations.parse("5\nsecs\u001b[2K"))
            .hasMessage("bad duration '5\\nsecs\\x1b[2K': unit must be ms, s, m, h or d");
        assertThatThrownBy(() -> Endpoint.parse("host\r:80x")).hasMessageStartingWith("bad address 'host\\r:80x': ");
        assertThat(Quoted.of("tab\there\u2028")).isEqualTo("'tab\\there\\u2028'");
    }

    @Test
    void aDurationWhoseMillisecondsOverflowALongIsRefused() {
        assertThatThrownBy(() -> Durations.parse("999999999999d"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too long (at most 3650d");
    }

    @Test
    void aDurationOfMoreDigitsThanAnyBelowTenYearsIsTooLongNotMisspelt() {
        assertThatThrownBy(() -> Durations.parse("99999999999999999d"))
            .hasMessage("bad duration '99999999999999999d': too long (at most 3650d, ten years)");
        assertThatThrownBy(() -> Durations.parse("99999999999999999x")).hasMessageContaining("expected e.g. 250ms");
        assertThat(Durations.parse("0000000000000000000001s")).as("leading zeros are no digits of its size")
            .isEqualTo(java.time.Duration.ofSeconds(1));
    }

    @Test
    void aDurationWithAFractionOrASpaceSaysSoNotThatItsUnitIsWrong() {
        for (final String bad : List.of("1.5s", "5 s")) {
            assertThatThrownBy(() -> Durations.parse(bad)).as(bad).hasMessage("bad duration '" + bad + "': a whole "
                + "number and its unit, with nothing between (1500ms, not 1.5s)");
        }
    }

    @Test
    void theExampleOfAWholeNumberFitsTheMistake() {
        assertThatThrownBy(() -> Durations.parse("1e3s")).hasMessageEndingWith("(1000s, not 1e3s)");
        assertThatThrownBy(() -> Durations.parse("1e3")).hasMessageEndingWith("(1000s, not 1e3s)");
        assertThatThrownBy(() -> Durations.parse("0.5s")).hasMessageEndingWith("(500ms, not 0.5s)");
    }

    @Test
    void aDurationWhoseNanosecondsWouldOverflowALongIsRefusedToo() {
        assertThatThrownBy(() -> Durations.parse("200000d")).isInstanceOf(IllegalArgumentException.class)
            .hasMessage("bad duration '200000d': too long (at most 3650d, ten years)");
        assertThatThrownBy(() -> Durations.parse("87601h")).hasMessageContaining("too long");
        assertThat(Durations.parse("3650d")).isEqualTo(Durations.MAX);
        assertThat(Durations.parse("315360000000ms")).isEqualTo(Durations.MAX);
        assertThat(Durations.MAX.toNanos() + System.nanoTime()).as("room for a clock's reading").isPositive();
    }

    @Test
    void aServerOfNothingButCommasIsRefusedWithOneLine() {
        assertThatThrownBy(() -> ServerConfig.parse(",,"))
            .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("server ',,': expected HOST:PORT");
    }

    @Test
    void anHttpCheckOfNothingButCommasChecksTheRootPath() {
        assertThat(CheckSpec.parse("http:,,")).isEqualTo(new CheckSpec.Http("/"));
    }

    @Test
    void aConfigFileReportStaysOneLineWhateverTheFileHolds() {
        assertThatThrownBy(() -> ConfigFile.parse("""
                listeners:
                  - bind: "127.0.0.1:80\\n\\e[2K"
                    group: g
                groups:
                  - name: g
                    servers: [127.0.0.1:9000]
                """, "t.yaml"))
            .isInstanceOf(ConfigFileException.class)
            .hasMessageStartingWith("t.yaml:2: listeners[0].bind: ")
            .hasMessageContaining("127.0.0.1:80\\n\\x1b[2K")
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n", "\u001b"));
        assertThatThrownBy(() -> ConfigFile.parse("rrr\t- x", "t.yaml")).hasMessage("t.yaml:1: expected a map (key: value "
            + "lines), got 'rrr\\t- x'");
    }
}
