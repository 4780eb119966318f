package dev.niolb.loop;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Written by its loop's thread; read by any thread.
 *
 * What an event loop publishes about itself for {@code /metrics}: iterations completed, failures it caught and
 * went on from, and since when it has been busy, so that a loop that stops coming back to its poll (a handler
 * stuck in a system call, an endless loop) shows as stalled while an idle loop, blocked in its poll with nothing
 * to do, does not.
 *
 * <p>Threading: the loop's thread is the only writer: plain reads and release writes, three per iteration
 * ({@link #awake} when its poll returns, {@link #polling} before the next: on x86 three plain stores), no atomic
 * read-modify-write, no allocation. Any thread reads with acquire loads.
 */
public final class LoopHeartbeat {
    private static final VarHandle ITERATIONS;
    private static final VarHandle ERRORS;
    private static final VarHandle BUSY_SINCE;
    private static final VarHandle BUSY_POLL_FOUND;

    static {
        try {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            ITERATIONS = lookup.findVarHandle(LoopHeartbeat.class, "iterations", long.class);
            ERRORS = lookup.findVarHandle(LoopHeartbeat.class, "errors", long.class);
            BUSY_SINCE = lookup.findVarHandle(LoopHeartbeat.class, "busySinceNanos", long.class);
            BUSY_POLL_FOUND = lookup.findVarHandle(LoopHeartbeat.class, "busyPollFound", long.class);
        } catch (final ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private long iterations;
    private long errors;
    private long busySinceNanos; // 0: waiting in its poll
    private long busyPollFound;
    private final int index;

    LoopHeartbeat(final int index) {
        this.index = index;
    }

    /** The loop's index (its stripe in shared counters). */
    public int index() {
        return index;
    }

    /** The loop's poll returned (or a handler in it ran first) at {@code nowNanos}. Loop thread. */
    void awake(final long nowNanos) {
        BUSY_SINCE.setRelease(this, nowNanos == 0 ? 1 : nowNanos);
    }

    /** The loop finished an iteration and is about to poll again. Loop thread. */
    void polling() {
        ITERATIONS.setRelease(this, (long) ITERATIONS.getOpaque(this) + 1);
        BUSY_SINCE.setRelease(this, 0L);
    }

    /** A handler, command or timer failed and the loop went on. Loop thread. */
    void error() {
        ERRORS.setRelease(this, (long) ERRORS.getOpaque(this) + 1);
    }

    /** A poll made while busy polling, instead of sleeping, found a socket ready. Loop thread. */
    void foundWhileBusyPolling() {
        BUSY_POLL_FOUND.setRelease(this, (long) BUSY_POLL_FOUND.getOpaque(this) + 1);
    }

    /** Polls made while busy polling that found a socket ready: wake-ups the loop did not need. Any thread. */
    public long busyPollFound() {
        return (long) BUSY_POLL_FOUND.getAcquire(this);
    }

    /** Iterations completed since the loop started. Any thread. */
    public long iterations() {
        return (long) ITERATIONS.getAcquire(this);
    }

    /** Failures caught and logged by the loop, which went on. Any thread. */
    public long errors() {
        return (long) ERRORS.getAcquire(this);
    }

    /**
     * How long the loop has been in its current iteration at {@code nowNanos} ({@link System#nanoTime()}), 0
     * while it waits in its poll. Any thread.
     */
    public long busyNanos(final long nowNanos) {
        final long since = (long) BUSY_SINCE.getAcquire(this);
        return since == 0 ? 0 : Math.max(0, nowNanos - since);
    }
}
