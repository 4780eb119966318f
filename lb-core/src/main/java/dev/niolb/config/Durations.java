package dev.niolb.config;

import java.time.Duration;

/** Durations as users write them: {@code 250ms}, {@code 5s}, {@code 10m}, {@code 1h}, {@code 1d}, or {@code 0}. */
public final class Durations {
    /**
     * The longest duration: ten years. Its nanoseconds fit a {@code long} with room to add a clock's reading
     * (ten years are 3.2 × 10<sup>17</sup> ns); a bound at what milliseconds allow let {@code 200000d} through,
     * whose {@code toNanos()} overflowed in the middle of a stop, a start or a reload (black-box testing, session
     * 24). {@code 0} is how a timeout is turned off.
     */
    public static final Duration MAX = Duration.ofDays(3650);

    private Durations() {
    }

    /**
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    public static Duration parse(final String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty duration: expected e.g. 250ms, 5s, 10m, 1h");
        }
        final String s = text.strip();
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        final int digits = Numbers.leadingDigits(s);
        int zeros = 0;
        while (zeros < digits - 1 && s.charAt(zeros) == '0') {
            zeros++;
        }
        if (digits - zeros > 12 && s.substring(digits).matches("ms|s|m|h|d")) {
            throw tooLong(text); // a number of more digits than any duration up to ten years has
        }
        if (digits > 0 && !s.substring(digits).matches("ms|s|m|h|d") && s.substring(digits).matches("[.,eE ].*")) {
            throw new IllegalArgumentException("bad duration " + Quoted.of(text) + ": a whole number and its unit, "
                + "with nothing between (" + (s.substring(digits).matches("[eE].*") ? "1000s, not 1e3s" : s.startsWith("0")
                ? "500ms, not 0.5s" : "1500ms, not 1.5s") + ")");
        }
        if (digits == 0 || digits - zeros > 12) {
            throw new IllegalArgumentException("bad duration " + Quoted.of(text) + ": expected e.g. 250ms, 5s, 10m, 1h");
        }
        final long amount = Numbers.parseLong(s.substring(zeros, digits));
        final Duration duration = switch (s.substring(digits)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            case "d" -> Duration.ofDays(amount);
            default -> throw new IllegalArgumentException(
                "bad duration " + Quoted.of(text) + ": unit must be ms, s, m, h or d");
        };
        if (duration.compareTo(MAX) > 0) {
            throw tooLong(text);
        }
        return duration;
    }

    /** Not "0 turns it off": where 0 is refused (connect-timeout, --timeout) that sent the user round in a circle. */
    private static IllegalArgumentException tooLong(final String text) {
        return new IllegalArgumentException("bad duration " + Quoted.of(text) + ": too long (at most "
            + MAX.toDays() + "d, ten years)");
    }

    /** The shortest exact text form ({@code 1500ms}, {@code 5s}, {@code 10m}), which {@link #parse} reads back. */
    public static String format(final Duration d) {
        final long ms = d.toMillis();
        if (ms == 0) {
            return "0";
        }
        if (ms % 86_400_000 == 0) {
            return ms / 86_400_000 + "d";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }
}
