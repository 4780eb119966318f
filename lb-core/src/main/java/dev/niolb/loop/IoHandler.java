package dev.niolb.loop;

/**
 * Called on its loop's thread.
 *
 * What a registration's owner does when its socket is ready: the one call every transport's poller makes.
 *
 * <p>Threading: called only on the owning {@link EventLoop}'s thread.
 */
public interface IoHandler {
    /** The socket is ready for {@code readyOps}, a set of {@link Ready} flags. */
    void onReady(int readyOps);

    /**
     * {@link #onReady} threw something unexpected (a bug, not an I/O error the handler should have handled).
     * The handler must release what it holds; the loop goes on.
     */
    void onFailure(Throwable failure);
}
