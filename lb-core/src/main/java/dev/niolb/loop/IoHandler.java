package dev.niolb.loop;

import java.nio.channels.SelectionKey;

/**
 * What a selection key's attachment does when its channel is ready.
 *
 * <p>Threading: called only on the owning {@link EventLoop}'s thread.
 */
public interface IoHandler {
    /** The key's channel is ready for {@code key.readyOps()}. */
    void onReady(SelectionKey key);

    /**
     * {@link #onReady} threw something unexpected (a bug, not an I/O error the handler should have handled).
     * The handler must release what it holds; the loop goes on.
     */
    void onFailure(Throwable failure);
}
