package dev.niolb.loop;

/**
 * Runs on its loop's thread.
 *
 * The one timer an object on a loop keeps (a connect or idle timer, an acceptor's back-off, a check's next run),
 * calling a {@link Timeout} back: see {@link WheelTimer}.
 *
 * <p>Threading: the owning {@link EventLoop}'s thread only.
 */
public final class LoopTimer extends WheelTimer {
    private final Timeout onExpiry;

    /** @param onExpiry called on the loop when the timer fires; the timer is no longer armed by then */
    public LoopTimer(final EventLoop loop, final Timeout onExpiry) {
        super(loop);
        this.onExpiry = onExpiry;
    }

    @Override
    protected void expired(final long nowMs) {
        onExpiry.onTimeout(nowMs);
    }
}
