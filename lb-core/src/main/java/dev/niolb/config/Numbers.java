package dev.niolb.config;

/**
 * Whole numbers as operators type them: ASCII digits only, with an optional leading {@code -}.
 *
 * <p>Why not {@link Integer#parseInt}: it takes any Unicode decimal digit, so {@code --threads ２} (a fullwidth
 * two) or an Arabic-Indic {@code ٣} in a config file were accepted as numbers that no operator reading the file
 * sees as such (issue 17). {@link Character#isDigit} has the same width; use {@link #isDigit} instead.
 *
 * <p>Threadsafe: stateless.
 */
public final class Numbers {
    private Numbers() {
    }

    /** Whether {@code c} is one of {@code 0..9}. */
    public static boolean isDigit(final char c) {
        return c >= '0' && c <= '9';
    }

    /** How many of {@code 0..9} {@code text} starts with: where the number ends and its unit begins ({@code 250ms}). */
    public static int leadingDigits(final String text) {
        int digits = 0;
        while (digits < text.length() && isDigit(text.charAt(digits))) {
            digits++;
        }
        return digits;
    }

    /** {@code text} as an int; {@link NumberFormatException} for anything but ASCII digits, or out of range. */
    public static int parseInt(final String text) {
        requireAsciiDigits(text);
        return Integer.parseInt(text);
    }

    /** {@code text} as a long; {@link NumberFormatException} for anything but ASCII digits, or out of range. */
    public static long parseLong(final String text) {
        requireAsciiDigits(text);
        return Long.parseLong(text);
    }

    private static void requireAsciiDigits(final String text) {
        if (text == null || text.isEmpty()) {
            throw new NumberFormatException("empty");
        }
        final int start = text.charAt(0) == '-' ? 1 : 0;
        if (start == text.length()) {
            throw new NumberFormatException("no digits");
        }
        for (int i = start; i < text.length(); i++) {
            if (!isDigit(text.charAt(i))) {
                throw new NumberFormatException("not a digit at " + i);
            }
        }
    }
}
