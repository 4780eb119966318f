package dev.niolb.config;

/**
 * User input inside an error message: between single quotes, with line breaks and other control characters
 * escaped (as {@code \n}, {@code \t}, {@code \x1b}; U+2028 and invisible formatting characters such as U+202E
 * as their escapes), so that the message stays one line on
 * a terminal whatever was typed or read from a file. Found by fuzzing the parsers (see {@code docs/RELIABILITY.md}).
 */
public final class Quoted {
    /** Longer input is cut in a quote: an error names the value, it need not echo 200 KB of it (issue 17). */
    static final int MAX_QUOTED = 120;
    /** Longer messages are cut: whatever quotes what, a report stays one readable line. */
    static final int MAX_LINE = 1000;

    private Quoted() {
    }

    /**
     * {@code 'text'}, escaped; {@code null} for a null text. Text longer than {@value #MAX_QUOTED} characters is
     * cut: {@code 'xxxx…' (200000 characters)}.
     */
    public static String of(final String text) {
        if (text == null) {
            return "null";
        }
        if (text.length() <= MAX_QUOTED) {
            return "'" + escaped(text) + "'";
        }
        return "'" + escaped(cut(text, MAX_QUOTED)) + "' (" + text.length() + " characters)";
    }

    /** {@code text}, or its first {@code max} characters (never half a surrogate pair) and "…" when longer. */
    public static String cut(final String text, final int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, cutAt(text, max)) + "\u2026";
    }

    /**
     * A whole message made safe to print as one line: {@link #escaped}, and cut after {@value #MAX_LINE}
     * characters ({@code … (message of 250000 characters cut)}).
     */
    public static String line(final String message) {
        final String escaped = escaped(String.valueOf(message));
        if (escaped.length() <= MAX_LINE) {
            return escaped;
        }
        return escaped.substring(0, cutAt(escaped, MAX_LINE)) + "\u2026 (message of " + escaped.length()
            + " characters cut)";
    }

    /** {@code max}, or one less where that would split a surrogate pair. */
    private static int cutAt(final String text, final int max) {
        return Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    }

    /**
     * Whether a terminal would act on {@code codePoint} rather than show it: a C0 or C1 control character, a line
     * or paragraph separator, or a format character (bidi overrides and marks, zero-width ones, tag characters).
     * What {@link #escaped} escapes, and what the CLI escapes in a JSON document it prints.
     */
    public static boolean actsOnTerminal(final int codePoint) {
        return Character.isISOControl(codePoint) || codePoint == '\u2028' || codePoint == '\u2029'
            || Character.getType(codePoint) == Character.FORMAT;
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
                    } else if (c == '\u2028' || c == '\u2029' || Character.getType(c) == Character.FORMAT) {
                        // and U+202E and its kind, which would turn the rest of the line around
                        out.append(String.format("\\u%04x", (int) c));
                    } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
                        && Character.getType(text.codePointAt(i)) == Character.FORMAT) {
                        out.append(String.format("\\u{%x}", text.codePointAt(i))); // a tag character (U+E0001...)
                        i++;
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
