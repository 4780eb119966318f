package dev.niolb.bench.harness.load;

import java.time.Duration;

/**
 * When a load runs, in {@link System#nanoTime()} terms: it starts at {@code begin}, warms up until
 * {@code measureStart}, is measured until {@code measureEnd}, and stops there by itself.
 */
public record LoadWindow(long begin, long measureStart, long measureEnd) {

    public LoadWindow {
        if (measureStart < begin || measureEnd < measureStart) {
            throw new IllegalArgumentException("window out of order");
        }
    }

    /** A window that begins now. */
    public static LoadWindow startingNow(final Duration warmup, final Duration duration) {
        final long now = System.nanoTime();
        final long start = now + warmup.toNanos();
        return new LoadWindow(now, start, start + duration.toNanos());
    }

    /** True when an operation that started at {@code started} and ended at {@code ended} lies inside the measurement. */
    public boolean measures(final long started, final long ended) {
        return started >= measureStart && ended <= measureEnd;
    }

    public double measuredSeconds() {
        return (measureEnd - measureStart) / 1e9;
    }

    /** Parks the calling thread until {@code deadline} (nanoTime); returns at once when it has passed. */
    public static void parkUntil(final long deadline) {
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(left);
        }
    }
}
