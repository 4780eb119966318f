package dev.niolb.config;

import java.time.Duration;

/**
 * How long an event loop keeps polling without sleeping after it last found a socket ready ({@code --busy-poll},
 * {@code busy-poll:} in {@code defaults}); {@link #OFF}, the default, sleeps in the poll as soon as nothing is
 * ready.
 *
 * <p>Why an operator would: a loop that sleeps pays a wake-up (the scheduler, and on a VM the hypervisor) for every
 * message of a request/response or ping-pong exchange; polling for a few tens of microseconds finds the next one
 * already there. It is HAProxy's {@code busy-polling}, bounded: the loop spins only this long after its last event,
 * so an idle loop still sleeps and costs nothing, while a busy one may use a whole core.
 *
 * <p>Written in microseconds or milliseconds ({@code 50us}, {@code 1ms}), or {@code 0}/{@code off}; at most
 * {@link #MAX}: longer than that is a loop spinning between events that do not come.
 *
 * @param window how long after the last ready socket the loop goes on polling; zero for never
 */
public record BusyPoll(Duration window) implements ConfigValue {
    public static final Duration MAX = Duration.ofMillis(100);
    public static final BusyPoll OFF = new BusyPoll(Duration.ZERO);

    public BusyPoll {
        if (window == null || window.isNegative() || window.compareTo(MAX) > 0) {
            throw new IllegalArgumentException("busy-poll must be 0.." + MAX.toMillis() + "ms, got "
                + (window == null ? "nothing" : format(window)));
        }
    }

    /** Whether the loop polls on after an event at all. */
    public boolean enabled() {
        return !window.isZero();
    }

    /**
     * {@code 0} or {@code off}, or a whole number of {@code us} or {@code ms}.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    public static BusyPoll parse(final String text) {
        final String s = text == null ? "" : text.strip();
        if (s.equals("0") || s.equalsIgnoreCase("off")) {
            return OFF;
        }
        final int digits = Numbers.leadingDigits(s);
        final String unit = s.substring(digits);
        if (digits == 0 || digits > 9 || !unit.equals("us") && !unit.equals("ms")) {
            throw new IllegalArgumentException("bad busy-poll " + Quoted.of(String.valueOf(text))
                + ": expected off, or a time such as 50us or 1ms, at most " + MAX.toMillis() + "ms");
        }
        final long amount = Numbers.parseLong(s.substring(0, digits));
        return new BusyPoll(unit.equals("us") ? Duration.ofNanos(amount * 1000) : Duration.ofMillis(amount));
    }

    /** The form {@link #parse} reads back: {@code off}, {@code 50us}, {@code 2ms}. */
    @Override
    public String toString() {
        return enabled() ? format(window) : "off";
    }

    private static String format(final Duration d) {
        final long micros = d.toNanos() / 1000;
        return micros % 1000 == 0 ? micros / 1000 + "ms" : micros + "us";
    }
}
