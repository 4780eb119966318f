package dev.niolb.session;

import dev.niolb.backend.Server;

/**
 * Runs on its loop's thread.
 *
 * A session (a TCP client/server pair, or a UDP flow) in its loop's connection table.
 *
 * <p>Threading: owned by one event loop; every method runs on that loop's thread.
 */
public interface LoopSession {
    long id();

    /** Closes both sides now, counting it as {@code reason}; removes itself from the table. Idempotent. */
    void close(Termination reason);

    /** A copy of the session's row, for readers on other threads. */
    SessionInfo info();

    /** When bytes last moved, on the loop's clock; sessions that do not track it are the idlest of all. */
    default long lastActivityMs() {
        return Long.MIN_VALUE;
    }

    /**
     * The server the session relays to now; null before its first pick, between two servers and once it has let
     * its server go. What a paced drain selects by ({@link SessionDrain}).
     */
    default Server server() {
        return null;
    }
}
