package dev.niolb.config;

import java.util.Locale;

/**
 * Byte sizes as users write them: plain bytes ({@code 65536}) or binary multiples ({@code 16k}, {@code 64k},
 * {@code 1m}; k = 1024, m = 1024 * 1024).
 */
public final class Sizes {
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    private Sizes() {
    }

    /**
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    public static int parse(final String text) {
        final long bytes = bytes(text);
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad size " + Quoted.of(text) + ": too large");
        }
        return (int) bytes;
    }

    /** Whether {@code text} is a well-formed size that no int holds ({@code 3000000000}, {@code 4096m}). */
    public static boolean pastInt(final String text) {
        try {
            return bytes(text) > Integer.MAX_VALUE;
        } catch (final IllegalArgumentException malformed) {
            return false;
        }
    }

    /** The bytes {@code text} says; {@link Long#MAX_VALUE} for more than a long holds. */
    private static long bytes(final String text) {
        final String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        final int digits = Numbers.leadingDigits(s);
        if (digits == 0) {
            throw new IllegalArgumentException("bad size " + Quoted.of(text) + ": expected bytes or e.g. 16k, 64k, 1m");
        }
        final long unit = switch (s.substring(digits)) {
            case "" -> 1;
            case "k" -> KIB;
            case "m" -> MIB;
            default -> throw new IllegalArgumentException("bad size " + Quoted.of(text) + ": unit must be k or m (or none for bytes)");
        };
        // eleven digits and more were "expected bytes or e.g. 16k", as if the number were not one
        if (digits > 18) {
            return Long.MAX_VALUE;
        }
        try {
            return Math.multiplyExact(Numbers.parseLong(s.substring(0, digits)), unit);
        } catch (final ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }

    /** The shortest exact text form ({@code 64k}, {@code 1m}, {@code 1500}), which {@link #parse} reads back. */
    public static String format(final int bytes) {
        if (bytes != 0 && bytes % MIB == 0) {
            return bytes / MIB + "m";
        }
        if (bytes != 0 && bytes % KIB == 0) {
            return bytes / KIB + "k";
        }
        return Integer.toString(bytes);
    }
}
