package dev.niolb.log;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

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
 * through, so a left-out event costs a read of the clock it passes and an uncontended increment.
 */
public final class LinePace {
    private final long intervalMs;
    private final AtomicLong nextMs = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder leftOut = new LongAdder();

    /** {@code intervalMs}: the least time between two lines. */
    public LinePace(final long intervalMs) {
        if (intervalMs <= 0) {
            throw new IllegalArgumentException("interval must be positive: " + intervalMs);
        }
        this.intervalMs = intervalMs;
    }

    /**
     * Whether a line may go out now; when not, this event is counted as left out. {@code nowMs} is any millisecond
     * clock the callers of one pace share (a loop's clock, {@code System.currentTimeMillis()}, nanoTime in ms).
     */
    public boolean due(final long nowMs) {
        final long next = nextMs.get();
        if (nowMs < next || !nextMs.compareAndSet(next, nowMs + intervalMs)) {
            leftOut.increment();
            return false;
        }
        return true;
    }

    /** How many were left out since the last line, counted from now on afresh: for the line {@link #due} let out. */
    public long leftOut() {
        return leftOut.sumThenReset();
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
}
