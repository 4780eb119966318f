package dev.niolb.config;

/**
 * User input inside an error message: between single quotes, with line breaks and other control characters
 * escaped (as {@code \n}, {@code \t}, {@code \x1b}; U+2028 as its escape), so that the message stays one line on
 * a terminal whatever was typed or read from a file. Found by fuzzing the parsers (see {@code docs/RELIABILITY.md}).
 */
public final class Quoted {
    private Quoted() {
    }

    /** {@code 'text'}, escaped; {@code null} for a null text. */
    public static String of(final String text) {
        return text == null ? "null" : "'" + escaped(text) + "'";
    }

    /** The text with its line breaks and other control characters escaped, nothing else changed. */
    public static String escaped(final String text) {
        final StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x100 && Character.isISOControl(c)) {
                        out.append(String.format("\\x%02x", (int) c));
                    } else if (c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
