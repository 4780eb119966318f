package dev.niolb.config.file;

import dev.niolb.config.TcpOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class YamlMapTest {
    private static YamlMap map(final String yaml) {
        return ConfigFile.document(yaml, "t.yaml");
    }

    @Test
    void typedReadersParseWhatIsWrittenAndFallBackWhenAKeyIsAbsent() {
        final YamlMap m = map("idle: 5s\nweight: 3\non: true\nsize: 16k\nname: web\n");

        assertThat(m.duration("idle", Duration.ZERO)).isEqualTo(Duration.ofSeconds(5));
        assertThat(m.intIn("weight", 0, 256, 1)).isEqualTo(3);
        assertThat(m.bool("on", false)).isTrue();
        assertThat(m.size("size", 0)).isEqualTo(16 * 1024);
        assertThat(m.string("name", null)).isEqualTo("web");
        assertThat(m.duration("absent", Duration.ofMinutes(1))).isEqualTo(Duration.ofMinutes(1));
        m.end();
    }

    @Test
    void aKeyNobodyReadIsRefusedWithTheKnownKeyItResembles() {
        final YamlMap m = map("name: a\nwieght: 3\n");
        m.string("name", null);
        m.intIn("weight", 0, 256, 1);

        assertThatThrownBy(m::end).isInstanceOf(ConfigFileException.class)
            .hasMessage("t.yaml:2: unknown key 'wieght' (did you mean weight?)");
    }

    @Test
    void aKeyLikeNoKnownKeyIsRefusedWithTheKeysThatAreKnown() {
        final YamlMap m = map("name: a\ncolour: blue\n");
        m.string("name", null);
        m.intIn("weight", 0, 256, 1);

        assertThatThrownBy(m::end).hasMessage("t.yaml:2: unknown key 'colour' (expected name, weight)");
    }

    @Test
    void aValueOutOfItsRangeIsReportedAtItsLineAndPath() {
        final YamlMap m = map("servers:\n  - address: a\n    weight: 900\n");
        final YamlMap server = m.list("servers").getFirst().map();

        assertThatThrownBy(() -> server.intIn("weight", 0, 256, 1))
            .hasMessage("t.yaml:3: servers[0].weight: must be 0..256, got 900");
    }

    @Test
    void withReportsTheRecordsRefusalAtTheKeyWithoutRepeatingIt() {
        final YamlMap m = map("x: 1\nretries: 40\n");

        assertThatThrownBy(() -> m.withInt("retries", TcpOptions.DEFAULTS, TcpOptions::withRetries))
            .hasMessage("t.yaml:2: retries: must be 0..32, got 40");
    }

    @Test
    void withLeavesTheValueAloneWhenTheKeyIsAbsent() {
        assertThat(map("x: 1\n").withInt("retries", TcpOptions.DEFAULTS, TcpOptions::withRetries))
            .isSameAs(TcpOptions.DEFAULTS);
    }

    @Test
    void buildReportsARefusalAtTheKeyTheMessageStartsWith() {
        final YamlMap m = map("name: a\nlimit: 7\n");

        assertThatThrownBy(() -> m.build(() -> {
            throw new IllegalArgumentException("limit must be even, got 7");
        })).hasMessage("t.yaml:2: limit: must be even, got 7");
        assertThatThrownBy(() -> m.build(() -> {
            throw new IllegalArgumentException("something else");
        })).hasMessage("t.yaml:1: something else");
    }

    @Test
    void aKeyWrittenWithoutAValueIsNotTakenForTheDefault() {
        final YamlMap m = map("x: 1\nidle:\n");

        assertThatThrownBy(() -> m.duration("idle", Duration.ZERO))
            .hasMessage("t.yaml:2: idle: expected a value, got nothing");
    }

    @Test
    void aTildeIsNothingAsNullIsButAQuotedOneIsText() {
        assertThatThrownBy(() -> map("x: 1\nidle: ~\n").duration("idle", Duration.ZERO))
            .hasMessage("t.yaml:2: idle: expected a value, got nothing");
        assertThatThrownBy(() -> map("x: 1\nidle: \"~\"\n").duration("idle", Duration.ZERO))
            .hasMessageContaining("'~'");
    }

    @Test
    void aListWhereAValueBelongsIsRefused() {
        assertThatThrownBy(() -> map("name: [a, b]\n").string("name", null))
            .hasMessage("t.yaml:1: name: expected a value, got a list");
    }

    @Test
    void aMissingKeyThatIsMisspeltIsReportedAsTheMisspelling() {
        assertThatThrownBy(() -> map("adress: a\n").required("address"))
            .hasMessage("t.yaml:1: unknown key 'adress' (did you mean address?)");
        assertThatThrownBy(() -> map("name: a\n").required("address"))
            .hasMessage("t.yaml:1: needs 'address'");
    }

    @Test
    void aKeyGivenTwiceIsRefusedWithBothLines() {
        assertThatThrownBy(() -> map("a: 1\nb: 2\na: 3\n"))
            .hasMessage("t.yaml:3: key 'a' given twice (first on line 1)");
    }

    @Test
    void booleansAreYaml12TrueOrFalseOnly() {
        assertThatThrownBy(() -> map("on: yes\n").bool("on", false))
            .hasMessage("t.yaml:1: on: must be true or false, got 'yes'");
    }

    @Test
    void closeMisspellingsAreFoundAndFarWordsAreNot() {
        assertThat(DidYouMean.closest("wieght", java.util.List.of("weight", "name"))).contains("weight");
        assertThat(DidYouMean.closest("idle-timout", java.util.List.of("idle-timeout", "udp-idle-timeout")))
            .contains("idle-timeout");
        assertThat(DidYouMean.closest("colour", java.util.List.of("weight", "name"))).isEmpty();
    }
}
