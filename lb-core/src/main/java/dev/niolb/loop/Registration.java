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

    /** Stops watching the socket; the socket itself stays open. Idempotent. */
    void cancel();

    /** Whether the socket is still watched (not cancelled, not closed). */
    boolean isValid();
}
