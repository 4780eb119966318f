package dev.niolb.testing;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The property every parser of user input must have, for the fuzz tests: any text gives either a value or an
 * {@link IllegalArgumentException} whose message is one clear line (no line break nor other control character). Anything else thrown (a
 * {@code NumberFormatException} is one, but {@code StringIndexOutOfBoundsException}, {@code ArithmeticException},
 * {@code NullPointerException} are not) reaches the fuzzer as a finding.
 */
public final class OneLineErrors {
    private OneLineErrors() {
    }

    /** The fuzzer's bytes as the text a user could have written (invalid UTF-8 becomes U+FFFD, as a terminal shows it). */
    public static String text(final byte[] input) {
        return new String(input, StandardCharsets.UTF_8);
    }

    /**
     * Parses {@code text}; returns the value, or null when the parser refused it with a one-line message.
     *
     * @throws AssertionError when the parser returned null or refused it with a message that is not one line
     */
    public static <T> T parse(final String text, final Function<String, T> parser) {
        final T value;
        try {
            value = parser.apply(text);
        } catch (final IllegalArgumentException e) {
            assertOneLine(text, e);
            return null;
        }
        if (value == null) {
            throw new AssertionError("parser returned null for " + quoted(text));
        }
        return value;
    }

    private static void assertOneLine(final String text, final IllegalArgumentException e) {
        final String message = e.getMessage();
        if (message == null || message.isBlank()) {
            throw new AssertionError("no message for " + quoted(text), e);
        }
        // a line break splits the line; any other control character (ESC, NUL, DEL) can rewrite a terminal's line
        if (message.chars().anyMatch(c -> Character.isISOControl(c) || c == 0x2028 || c == 0x2029)) {
            throw new AssertionError("message with a control character for " + quoted(text) + ": " + quoted(message), e);
        }
    }

    /** Java-escaped, so that a failure message shows control characters. */
    public static String quoted(final String s) {
        final StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
