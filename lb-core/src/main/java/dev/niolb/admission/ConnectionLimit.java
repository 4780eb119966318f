package dev.niolb.admission;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cap on connections open at once (a listener's or the process's {@code maxconn}), shared by every event loop
 * that accepts under it.
 *
 * <p>Threading: any thread. One {@link AtomicInteger} taken at accept ({@link #tryAcquire}) and given back when
 * the connection closes ({@link #release}): two atomic operations per connection, never on the relay path.
 * Why shared and not split across loops: {@code SO_REUSEPORT} spreads clients by a hash of their addresses, not
 * by load, so a loop with a split share of 5/2 may be full while the other has room, and its clients would
 * wait in its backlog while the listener as a whole is under its cap. A shared count admits exactly
 * {@code max} wherever they land. Without a cap ({@code max} 0) nothing is counted and nothing is shared.
 *
 * <p>A loop that finds the cap reached stops accepting and parks ({@link #park}); the release that takes the
 * count from {@code max} to {@code max - 1} wakes every parked {@link Waiter}, since which loop's backlog holds
 * the next client is the kernel's secret. Lost wake-ups cannot happen: a parker counts itself in
 * {@code parked} and then looks at the count again, and a releaser lowers the count and then looks at
 * {@code parked}; both are sequentially consistent, so at least one of them sees the other.
 */
public final class ConnectionLimit {
    /** No cap: acquiring always succeeds and nothing is counted. */
    public static final ConnectionLimit UNLIMITED = new ConnectionLimit(0);

    /** An acceptor that stopped accepting at the cap. */
    public interface Waiter {
        /** Room was made. Called on the releasing thread: hand the work to the waiter's own loop. */
        void wake();
    }

    private volatile int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger parked = new AtomicInteger();
    private volatile Waiter[] waiters = new Waiter[0];

    /** @param max connections open at once; 0 for no cap */
    public ConnectionLimit(final int max) {
        if (max < 0) {
            throw new IllegalArgumentException("maxconn must not be negative, got " + max);
        }
        this.max = max;
    }

    /** Whether this caps anything. */
    public boolean limits() {
        return max > 0;
    }

    public int max() {
        return max;
    }

    /** Connections counted now. Any thread. */
    public int open() {
        return open.get();
    }

    /** Adds a waiter woken when room is made after the cap was reached. Before the loops run, or rarely. */
    public synchronized void register(final Waiter waiter) {
        if (max == 0) {
            return;
        }
        final Waiter[] grown = Arrays.copyOf(waiters, waiters.length + 1);
        grown[waiters.length] = waiter;
        waiters = grown;
    }

    /** Removes a waiter (its listener stopped). */
    public synchronized void unregister(final Waiter waiter) {
        waiters = Arrays.stream(waiters).filter(w -> w != waiter).toArray(Waiter[]::new);
    }

    /**
     * A new cap over the same count (a reload): lowered, it admits nobody until enough connections have closed;
     * raised, it wakes the parked waiters at once. Both caps positive: without one nothing was counted.
     */
    public synchronized void resize(final int newMax) {
        if (max == 0 || newMax <= 0) {
            throw new IllegalArgumentException("a cap can only be resized to another cap: " + max + " to " + newMax);
        }
        final int old = max;
        max = newMax;
        if (newMax > old && parked.get() > 0) {
            for (final Waiter w : waiters) {
                w.wake();
            }
        }
    }

    /** Counts one more connection if the cap allows it. */
    public boolean tryAcquire() {
        if (max == 0) {
            return true;
        }
        int n;
        do {
            n = open.get();
            if (n >= max) {
                return false;
            }
        } while (!open.compareAndSet(n, n + 1));
        return true;
    }

    /** Gives back a connection counted by {@link #tryAcquire}; wakes the parked waiters if it was at the cap. */
    public void release() {
        if (max == 0) {
            return;
        }
        // the cap read after the count: a resize between the two cannot hide the release that makes room. Only
        // while a waiter is parked does a release below the cap wake them (a woken waiter unparks at once)
        final int n = open.decrementAndGet();
        if (parked.get() > 0 && n < max) {
            for (final Waiter w : waiters) {
                w.wake();
            }
        }
    }

    /**
     * A waiter stops accepting after {@link #tryAcquire} failed. Returns false when room was made meanwhile: the
     * caller must not stay parked (and is no longer counted as parked).
     */
    public boolean park() {
        parked.incrementAndGet();
        if (open.get() < max) {
            parked.decrementAndGet();
            return false;
        }
        return true;
    }

    /** A parked waiter has resumed accepting. */
    public void unpark() {
        parked.decrementAndGet();
    }

    @Override
    public String toString() {
        return max == 0 ? "unlimited" : open.get() + "/" + max;
    }
}
