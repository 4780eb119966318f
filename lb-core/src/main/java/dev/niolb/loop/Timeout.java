package dev.niolb.loop;

/**
 * Called on its loop's thread.
 *
 * A timer's callback.
 *
 * <p>Threading: called only on the owning {@link EventLoop}'s thread.
 */
@FunctionalInterface
public interface Timeout {
    /**
     * The {@link LoopTimer} has expired; it is no longer armed.
     *
     * @param nowMs the loop's clock, see {@link EventLoop#nowMs()}
     */
    void onTimeout(long nowMs);
}
