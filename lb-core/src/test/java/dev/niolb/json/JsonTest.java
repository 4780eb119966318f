package dev.niolb.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hand-written JSON writer and reader, checked against a real parser (Jackson) both ways. */
class JsonTest {
    private static final ObjectMapper JACKSON = new ObjectMapper();

    @Test
    void writtenTextIsValidJsonWithKeysInTheOrderWritten() throws Exception {
        final String nasty = "quote\" backslash\\ newline\n tab\t bell\u0007 sep\u2028 é 😀";
        final String text = new JsonWriter().beginObject()
            .field("s", nasty)
            .field("n", -42L)
            .field("d", 0.4125)
            .field("nan", Double.NaN)
            .field("b", true)
            .name("none").nullValue()
            .name("list").beginArray().value(1L).value("two").beginObject().endObject().endArray()
            .endObject().toString();
        final JsonNode node = JACKSON.readTree(text);
        assertThat(node.get("s").asText()).isEqualTo(nasty);
        assertThat(node.get("n").asLong()).isEqualTo(-42);
        assertThat(node.get("d").asDouble()).isEqualTo(0.413); // three decimals
        assertThat(node.get("nan").isNull()).isTrue();
        assertThat(node.get("list").size()).isEqualTo(3);
        final List<String> keys = new ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("s", "n", "d", "nan", "b", "none", "list");
    }

    @Test
    void decimalsKeepUpToThreePlacesWithoutTrailingZeros() {
        final StringBuilder b = new StringBuilder();
        for (final double d : new double[]{0, 5007, 12.5, 0.412, 0.0004, -1.25, 0.01}) {
            JsonWriter.appendDecimal(b, d);
            b.append(' ');
        }
        assertThat(b.toString()).isEqualTo("0 5007 12.5 0.412 0 -1.25 0.01 ");
    }

    @Test
    void readerReadsWhatARealWriterWrites() throws Exception {
        final String text = JACKSON.writeValueAsString(Map.of("a", List.of(1, 2.5, "x\u00e9\n", true),
            "b", Map.of("c", -7), "d", "\"\\/"));
        final Map<String, Object> parsed = JsonReader.parseObject(text);
        assertThat(parsed.get("a")).isEqualTo(List.of(1L, 2.5, "x\u00e9\n", true));
        assertThat(parsed.get("b")).isEqualTo(Map.of("c", -7L));
        assertThat(parsed.get("d")).isEqualTo("\"\\/");
        assertThat(JsonReader.parse(" null ")).isNull();
        assertThat(JsonReader.parse("\"\\u00e9\"")).isEqualTo("é");
    }

    @Test
    void badTextFailsWithOneLineSayingWhere() {
        assertThatThrownBy(() -> JsonReader.parse("{\"a\": 1,}")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("bad JSON at character 9");
        assertThatThrownBy(() -> JsonReader.parse("[1 2]")).hasMessageContaining("expected ',' or ']'");
        assertThatThrownBy(() -> JsonReader.parse("{} x")).hasMessageContaining("unexpected text after the value");
        assertThatThrownBy(() -> JsonReader.parseObject("[1]")).hasMessage("expected a JSON object");
        assertThatThrownBy(() -> JsonReader.parse("\"open")).hasMessageContaining("unterminated string");
        assertThatThrownBy(() -> JsonReader.parse("[".repeat(100))).hasMessageContaining("nested deeper");
    }

    @Test
    void aKeyTwiceInOneObjectIsRefusedNotGuessedAt() {
        assertThatThrownBy(() -> JsonReader.parse("{\"state\":\"drain\",\"state\":\"maint\"}"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("bad JSON at character 25: duplicate key \"state\"");
        assertThatThrownBy(() -> JsonReader.parse("{\"a\\u0085\":1,\"a\\u0085\":2}")).as("one line whatever the key holds")
            .hasMessageEndingWith("duplicate key \"aU+0085\"");
        assertThat(JsonReader.parse("{\"a\":{\"k\":1},\"b\":{\"k\":2}}")).as("the same key in two objects")
            .isEqualTo(java.util.Map.of("a", java.util.Map.of("k", 1L), "b", java.util.Map.of("k", 2L)));
    }

    @Test
    void anErrorShowsAControlCharacterOfTheTextAsItsCodePoint() {
        // found by fuzzing: the character was echoed raw, and a line break or ESC split or rewrote the message
        assertThatThrownBy(() -> JsonReader.parse("\u0011\u0000state\":\"drain\"}"))
            .hasMessage("bad JSON at character 1: unexpected character U+0011");
        assertThatThrownBy(() -> JsonReader.parse("\"a\\\n\""))
            .hasMessage("bad JSON at character 5: bad escape \\ before U+000A");
        assertThatThrownBy(() -> JsonReader.parse("x")).hasMessage("bad JSON at character 1: unexpected character 'x'");
    }

    @Test
    void aNumberIsReadOnlyAsRfc8259WritesIt() {
        // found by fuzzing against Jackson: Long.parseLong took a leading zero
        assertThatThrownBy(() -> JsonReader.parse("[1, -0, 08]")).hasMessage("bad JSON at character 11: bad number '08'");
        // found by reading the parser after that: Double.parseDouble takes a fraction without digits
        for (final String bad : List.of("1.", "-.5", "2.e3", "-", "1e", "01.5", "--1")) {
            assertThatThrownBy(() -> JsonReader.parse(bad)).as(bad).hasMessageContaining("bad number");
        }
        assertThat(JsonReader.parse("[0, -0, 10, 1.5e-3, 2E+2, 9223372036854775808]"))
            .isEqualTo(List.of(0L, 0L, 10L, 0.0015, 200.0, 9.223372036854775808e18));
    }

    @Test
    void aUnicodeEscapeTakesFourAsciiHexDigitsOnly() {
        // found by reading the parser: Integer.parseInt took a sign and other scripts' digits
        assertThatThrownBy(() -> JsonReader.parse("\"\\u+fff\"")).hasMessageContaining("bad \\u escape");
        assertThatThrownBy(() -> JsonReader.parse("\"\\u\uff10041\"")).hasMessageContaining("bad \\u escape");
        assertThat(JsonReader.parse("\"\\u00e9\\u00C9\"")).isEqualTo("éÉ");
    }
}
