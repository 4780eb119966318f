package dev.niolb.log;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Threadsafe, lock-free.
 *
 * At most one log line per interval for one kind of event, with a count of those left out, so that a flood (a dead
 * server under load, a token being guessed, thousands of checks short of descriptors) cannot flood the log and the
 * log still tells the flood's size. One pace for every such line: seven hand-written ones had drifted apart (two let
 * loops racing each other log twice in a second and lose counts, three never said how many they left out).
 *
 * <p>Exactly one caller per interval is let through ({@link #due}), whatever the number of threads; it then takes
 * the count of those left out ({@link #leftOut}) and says it in its line. The caller builds its line only when let
 * through, so a left-out event costs a read of the clock it passes and an atomic increment. With a {@code tail},
 * those left out after the last line are also said once the next line was due and none came, whether or not
 * another event comes later: a flood that stopped left its last second's count unsaid. While the flood goes on, the
 * lines say the counts, and no tail line is added to them.
 */
public final class LinePace {
    /** Where every pace's tail is looked at: one daemon thread, started with the class. */
    private static final ScheduledThreadPoolExecutor TAILS = tails();
    private final long intervalMs;
    private final AtomicLong nextMs = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong leftOut = new AtomicLong();
    private final LongConsumer tail;
    private final AtomicBoolean tailDue = new AtomicBoolean();
    /** When the last line was let out, on the tail's own clock (the callers' may be a loop's). */
    private volatile long lastLineNanos = System.nanoTime();

    private static ScheduledThreadPoolExecutor tails() {
        final ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            final Thread t = new Thread(r, "niolb-log-tails");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        executor.prestartAllCoreThreads(); // now, not in the middle of a flood: a process's threads stay as counted
        return executor;
    }

    /** {@code intervalMs}: the least time between two lines; those left out are said only by the next line. */
    public LinePace(final long intervalMs) {
        this(intervalMs, null);
    }

    /**
     * {@code tail} logs a count of those left out and not said by a line, once the next line was due and none came
     * (on the tails' thread, at most one look at a time per pace); null for none.
     */
    public LinePace(final long intervalMs, final LongConsumer tail) {
        if (intervalMs <= 0) {
            throw new IllegalArgumentException("interval must be positive: " + intervalMs);
        }
        this.intervalMs = intervalMs;
        this.tail = tail;
    }

    /**
     * Whether a line may go out now; when not, this event is counted as left out. {@code nowMs} is
     * {@link System#nanoTime()} in milliseconds, as read now or at a loop's wake-up: a loop's clock lags by the work
     * the loop has done since, so two lines let out by two loops may come a little less than an interval apart
     * (measured 0.93 s: a cost of reading no clock per event, which a flood's events would pay).
     */
    public boolean due(final long nowMs) {
        final long next = nextMs.get();
        if (nowMs < next || !nextMs.compareAndSet(next, nowMs + intervalMs)) {
            leftOut.incrementAndGet();
            if (tail != null && !tailDue.get() && tailDue.compareAndSet(false, true)) {
                tailFrom(lastLineNanos);
            }
            return false;
        }
        if (tail != null) {
            lastLineNanos = System.nanoTime();
        }
        return true;
    }

    /** How many were left out since the last line, counted from now on afresh: for the line {@link #due} let out. */
    public long leftOut() {
        return leftOut.getAndSet(0);
    }

    /**
     * {@link #leftOut} in the words every paced line uses: {@code " (N more WHAT since the last one logged, not
     * logged)"}, or nothing when none was left out. {@code what} may be empty ({@code " (N more since …"}).
     */
    public String leftOutSaid(final String what) {
        final long more = leftOut();
        if (more == 0) {
            return "";
        }
        return " (" + more + " more " + (what.isEmpty() ? "" : what + " ") + "since the last one logged, not logged)";
    }

    /** Milliseconds from {@code nowMs} until a line may go out again; 0 when one may now. */
    public long untilDue(final long nowMs) {
        final long next = nextMs.get();
        return nowMs >= next ? 0 : next - nowMs;
    }

    /** Makes the next line wait a whole interval from {@code nowMs}: after a summary of those left out. */
    public void restart(final long nowMs) {
        nextMs.set(nowMs + intervalMs);
    }

    /** Says those left out and not yet said through the tail, now: at a stop. Nothing without a tail. */
    public void flush() {
        if (tail == null) {
            return;
        }
        final long more = leftOut();
        if (more > 0) {
            tail.accept(more);
        }
    }

    /**
     * Looks once the next line was due and a little more (half an interval, at most a second) has passed with no
     * line, then says those left out: a flood that goes on lets a line out when it is due, which says them. On one
     * daemon thread for every pace, made when the first pace is: a virtual thread a tail brought the virtual-thread
     * scheduler's carrier and timer threads into a process that had none (the soak counted 4 threads more).
     */
    private void tailFrom(final long line) {
        final long graceMs = Math.min(intervalMs / 2, 1000);
        final long waitNanos = line + (intervalMs + graceMs) * 1_000_000L - System.nanoTime();
        try {
            TAILS.schedule(() -> tailCheck(line), Math.max(0, waitNanos) / 1_000_000L + 1, TimeUnit.MILLISECONDS);
        } catch (final java.util.concurrent.RejectedExecutionException shutDown) {
            tailDue.set(false);
        }
    }

    private void tailCheck(final long line) {
        final long now = lastLineNanos;
        if (now != line) {
            tailFrom(now); // a line went out meanwhile: it said those before it; wait for the one after
            return;
        }
        flush();
        tailDue.set(false);
        // one left out between the flush and now found the tail still due and armed none: this one goes on
        if (leftOut.get() > 0 && tailDue.compareAndSet(false, true)) {
            tailFrom(lastLineNanos);
        }
    }
}
