package dev.niolb.loop;

/**
 * Runs on its loop's thread.
 *
 * The one timer an object on a loop keeps (a session's connect or idle timer, an acceptor's back-off, a check's
 * next run): at most one pending at a time, forgotten when it fires, cancelled by its owner when it stops.
 * Every loop-owned object that times something had its own copy of this bookkeeping; now it is here.
 *
 * <p>It is its own entry in the loop's {@link TimerWheel} (the list links are its fields), so arming and
 * cancelling allocate nothing and cost the wheel no memory of its own.
 *
 * <p>Threading: the owning {@link EventLoop}'s thread only.
 */
public final class LoopTimer {
    private final EventLoop loop;
    private final Timeout onExpiry;
    // the wheel's bookkeeping, written by TimerWheel only
    long deadlineTick;
    LoopTimer prev;
    LoopTimer next;
    int list = TimerWheel.NONE;

    /** @param onExpiry called on the loop when the timer fires; the timer is no longer armed by then */
    public LoopTimer(final EventLoop loop, final Timeout onExpiry) {
        this.loop = loop;
        this.onExpiry = onExpiry;
    }

    /** Fires at {@code deadlineMs} on the loop's clock, instead of any deadline set before. */
    public void at(final long deadlineMs) {
        cancel();
        loop.arm(this, deadlineMs);
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
        return list != TimerWheel.NONE;
    }

    /** Forgets the pending deadline, if any. Idempotent. */
    public void cancel() {
        if (armed()) {
            loop.disarm(this);
        }
    }

    void fire(final long nowMs) {
        onExpiry.onTimeout(nowMs);
    }
}
