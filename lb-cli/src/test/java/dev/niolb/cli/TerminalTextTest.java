package dev.niolb.cli;

import dev.niolb.json.JsonReader;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the CLI prints of an admin answer: escaped for a terminal, and a JSON document still JSON. */
class TerminalTextTest {
    private static final String ODD = "a\u009bb\u0085c\u202ed\u200fe\uDB40\uDC41f\u001b[2J";

    @Test
    void aJsonDocumentKeepsItsValuesWithEveryOddCharacterEscapedAsJsonEscapesIt() {
        final String body = "{\"x\":\"" + ODD + "\"}";

        final String printed = TerminalText.safeJson(body);

        assertThat(printed).doesNotContain("\u009b", "\u0085", "\u202e", "\u200f", "\uDB40", "\u001b")
            .contains("\\u009b", "\\u202e", "\\udb40\\udc41");
        assertThat(JsonReader.parseObject(printed).get("x")).isEqualTo(ODD);
    }

    @Test
    void aLineShowsOddCharactersEscapedAsNiolbsMessagesDo() {
        assertThat(TerminalText.safe(ODD)).doesNotContain("\u009b", "\u202e", "\u001b").contains("\\x9b", "\\u202e",
            "\\x1b[2J");
    }
}
