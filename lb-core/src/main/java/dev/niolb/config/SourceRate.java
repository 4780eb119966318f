package dev.niolb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * A rate of new connections per client source: {@code count} per {@code period}, with bursts of up to
 * {@code burst} at once (a token bucket of {@code burst} tokens refilled at {@code count / period}).
 *
 * @param count  tokens per period; 0 means no rate limit
 * @param period the period the count is over: a second, a minute or an hour
 * @param burst  the bucket's size: connections a source may open at once after a quiet spell; at least 1
 *
 * <p>A {@link ConfigValue}: a reload summary shows it as written ({@code source-rate 0→10/s,burst=30}), whole.
 */
public record SourceRate(int count, Duration period, int burst) implements ConfigValue {
    public static final SourceRate NONE = new SourceRate(0, Duration.ofSeconds(1), 1);
    public static final int MAX_COUNT = 1_000_000;

    public SourceRate {
        Objects.requireNonNull(period, "period");
        if (count < 0 || count > MAX_COUNT) {
            throw new IllegalArgumentException("source-rate must be 0.." + MAX_COUNT + " per period, got " + count);
        }
        if (period.isNegative() || period.isZero()) {
            throw new IllegalArgumentException("source-rate period must be positive");
        }
        if (burst < 1 || burst > MAX_COUNT) {
            throw new IllegalArgumentException("source-rate burst must be 1.." + MAX_COUNT + ", got " + burst);
        }
    }

    /** Whether this limits anything. */
    public boolean limits() {
        return count > 0;
    }

    /** The time one token takes to come back, in ns (the GCRA emission interval); 0 without a limit. */
    public long intervalNanos() {
        return count == 0 ? 0 : Math.max(1, period.toNanos() / count);
    }

    /**
     * Parses {@code N/s}, {@code N/m} or {@code N/h}, optionally {@code ,burst=M} ({@code 20/s,burst=50}); the
     * burst defaults to N (a period's worth); {@code 0} is no limit.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad part
     */
    public static SourceRate parse(final String text) {
        final String expected = "expected N/s, N/m or N/h, optionally ,burst=M (e.g. 20/s,burst=50)";
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty source rate: " + expected);
        }
        final String s = text.strip();
        if (s.equals("0")) {
            return NONE;
        }
        final String[] parts = s.split(",", -1);
        final int slash = parts[0].indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("bad source rate '" + text + "': " + expected);
        }
        final int count = number(parts[0].substring(0, slash).strip(), text, "count");
        final Duration period = switch (parts[0].substring(slash + 1).strip()) {
            case "s" -> Duration.ofSeconds(1);
            case "m" -> Duration.ofMinutes(1);
            case "h" -> Duration.ofHours(1);
            default -> throw new IllegalArgumentException("bad source rate '" + text + "': the period must be s, m or h");
        };
        int burst = Math.max(1, count);
        for (int i = 1; i < parts.length; i++) {
            final String option = parts[i].strip();
            if (!option.startsWith("burst=")) {
                throw new IllegalArgumentException("bad source rate '" + text + "': unknown option '" + option
                    + "' (expected burst=M)");
            }
            if (i > 1) { // the last one won, silently (black-box testing, session 29); a server's options refuse it too
                throw new IllegalArgumentException("bad source rate '" + text + "': 'burst' is given twice");
            }
            burst = number(option.substring("burst=".length()), text, "burst");
        }
        try {
            return new SourceRate(count, period, burst);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bad source rate '" + text + "': " + e.getMessage());
        }
    }

    private static int number(final String value, final String text, final String what) {
        try {
            return Numbers.parseInt(value);
        } catch (final NumberFormatException e) {
            // digits past an int are a number out of range, not "not a number" (black-box testing, session 30)
            throw new IllegalArgumentException("bad source rate '" + text + "': " + what + " '" + value + "' "
                + (!value.isEmpty() && value.chars().allMatch(c -> c >= '0' && c <= '9')
                    ? "is out of range (" + (what.equals("burst") ? "1" : "0") + ".." + MAX_COUNT + ")"
                    : "is not a number"));
        }
    }

    /** The form {@link #parse} reads back: {@code 20/s,burst=50}, or {@code 0}. */
    @Override
    public String toString() {
        if (count == 0) {
            return "0";
        }
        final String unit = period.equals(Duration.ofHours(1)) ? "h" : period.equals(Duration.ofMinutes(1)) ? "m" : "s";
        return count + "/" + unit + (burst == Math.max(1, count) ? "" : ",burst=" + burst);
    }
}
