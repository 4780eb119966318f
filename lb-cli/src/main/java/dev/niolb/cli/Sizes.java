package dev.niolb.cli;

import dev.niolb.config.Quoted;

import java.util.Locale;

/**
 * Byte sizes as users write them: plain bytes ({@code 65536}) or binary multiples ({@code 16k}, {@code 64k},
 * {@code 1m}; k = 1024, m = 1024 * 1024). Here until lb-core's config package has sizes of its own.
 */
final class Sizes {
    private Sizes() {
    }

    /**
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    static int parse(final String text) {
        final String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        int digits = 0;
        while (digits < s.length() && Character.isDigit(s.charAt(digits))) {
            digits++;
        }
        if (digits == 0 || digits > 10) {
            throw new IllegalArgumentException("bad size " + Quoted.of(text) + ": expected bytes or e.g. 16k, 64k, 1m");
        }
        final long unit = switch (s.substring(digits)) {
            case "" -> 1;
            case "k" -> 1024;
            case "m" -> 1024 * 1024;
            default -> throw new IllegalArgumentException("bad size " + Quoted.of(text) + ": unit must be k or m (or none for bytes)");
        };
        final long bytes = Long.parseLong(s.substring(0, digits)) * unit;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad size " + Quoted.of(text) + ": too large");
        }
        return (int) bytes;
    }
}
