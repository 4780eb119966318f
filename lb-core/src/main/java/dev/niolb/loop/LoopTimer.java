package dev.niolb.loop;

import org.agrona.DeadlineTimerWheel;

/**
 * Runs on its loop's thread.
 *
 * The one timer an object on a loop keeps (a session's connect or idle timer, an acceptor's back-off, a check's
 * next run): at most one pending at a time, forgotten when it fires, cancelled by its owner when it stops.
 * Every loop-owned object that times something had its own copy of this bookkeeping; now it is here.
 *
 * <p>Threading: the owning {@link EventLoop}'s thread only. Arming allocates nothing (the wheel's timer ids are
 * longs, and this object is the wheel's callback).
 */
public final class LoopTimer implements Timeout {
    private final EventLoop loop;
    private final Timeout onExpiry;
    private long id = DeadlineTimerWheel.NULL_DEADLINE;

    /** @param onExpiry called on the loop when the timer fires; the timer is no longer armed by then */
    public LoopTimer(final EventLoop loop, final Timeout onExpiry) {
        this.loop = loop;
        this.onExpiry = onExpiry;
    }

    /** Fires at {@code deadlineMs} on the loop's clock, instead of any deadline set before. */
    public void at(final long deadlineMs) {
        cancel();
        id = loop.schedule(deadlineMs, this);
    }

    /** Fires {@code delayMs} from now, instead of any deadline set before. */
    public void after(final long delayMs) {
        at(loop.nowMs() + delayMs);
    }

    /** Fires {@code delayMs} from now unless it is armed already (then the earlier deadline stands). */
    public void afterUnlessArmed(final long delayMs) {
        if (!armed()) {
            after(delayMs);
        }
    }

    /** Whether a deadline is pending. */
    public boolean armed() {
        return id != DeadlineTimerWheel.NULL_DEADLINE;
    }

    /** Forgets the pending deadline, if any. Idempotent. */
    public void cancel() {
        if (id != DeadlineTimerWheel.NULL_DEADLINE) {
            loop.cancel(id);
            id = DeadlineTimerWheel.NULL_DEADLINE;
        }
    }

    @Override
    public void onTimeout(final long timerId, final long nowMs) {
        id = DeadlineTimerWheel.NULL_DEADLINE;
        onExpiry.onTimeout(timerId, nowMs);
    }
}
