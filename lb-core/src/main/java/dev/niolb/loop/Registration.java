package dev.niolb.loop;

/**
 * Used on its loop's thread.
 *
 * A socket watched by its loop's {@link Poller}: the handle through which its owner changes what it waits for.
 *
 * <p>Threading: the owning {@link EventLoop}'s thread only.
 */
public interface Registration {
    /** Waits for {@code ops} ({@link Ready} flags) from now on; 0 waits for nothing but keeps the socket registered. */
    void interest(int ops);

    /**
     * While the owner waits for nothing ({@code interest(0)}), has a reset of the socket's peer still reach it as
     * {@link Ready#ERROR}, where the transport can (epoll: the socket joins the set with no events; NIO cannot).
     * For a client whose server connect takes a while: a client that gives up meanwhile ends its session at once,
     * rather than holding its places until the connect times out and then being sent to a server. Idempotent.
     */
    default void hearResets() {
    }

    /** Stops watching the socket; the socket itself stays open. Idempotent. */
    void cancel();

    /** Whether the socket is still watched (not cancelled, not closed). */
    boolean isValid();
}
