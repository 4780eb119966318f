package dev.niolb.loop;

/**
 * Runs on its loop's thread.
 *
 * One pending deadline on its loop's {@link TimerWheel}, kept by the object that times something: at most one
 * at a time, forgotten when it fires, cancelled by its owner when it stops. It is its own entry in the wheel (the
 * list links are its fields), so arming and cancelling allocate nothing and the wheel holds no memory of its own
 * per timer. A {@link LoopTimer} calls a {@link Timeout} back; an object made in great numbers (a TCP session)
 * extends this class instead and is its own timer, one object less per connection.
 *
 * <p>Threading: the owning {@link EventLoop}'s thread only.
 */
public abstract class WheelTimer {
    private final EventLoop loop;
    // the wheel's bookkeeping, written by TimerWheel only
    long deadlineTick;
    WheelTimer prev;
    WheelTimer next;
    int list = TimerWheel.NONE;

    protected WheelTimer(final EventLoop loop) {
        this.loop = loop;
    }

    /** The loop this timer (and its owner) lives on. */
    protected final EventLoop loop() {
        return loop;
    }

    /** Fires at {@code deadlineMs} on the loop's clock, instead of any deadline set before. */
    public final void at(final long deadlineMs) {
        cancel();
        loop.arm(this, deadlineMs);
    }

    /** Fires {@code delayMs} from now, instead of any deadline set before. */
    public final void after(final long delayMs) {
        at(loop.nowMs() + delayMs);
    }

    /** Fires {@code delayMs} from now unless it is armed already (then the earlier deadline stands). */
    public final void afterUnlessArmed(final long delayMs) {
        if (!armed()) {
            after(delayMs);
        }
    }

    /** Whether a deadline is pending. */
    public final boolean armed() {
        return list != TimerWheel.NONE;
    }

    /** Forgets the pending deadline, if any. Idempotent. */
    public final void cancel() {
        if (armed()) {
            loop.disarm(this);
        }
    }

    /** The deadline has passed; the timer is no longer armed. Called on the loop. */
    protected abstract void expired(long nowMs);
}
