package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * Picks the server for a new session.
 *
 * <p>Threading: an instance belongs to one event loop (or one benchmark thread) and is not threadsafe; it may
 * keep mutable state such as a round-robin cursor. It reads other loops' activity only through
 * {@link Server#active()}. An instance is built for one snapshot of a group's servers and is replaced when the
 * snapshot changes.
 *
 * <p>Hot path: {@code pick} allocates nothing.
 */
public interface Balancer {
    /**
     * Picks a server that {@link Server#acceptsNew() accepts new sessions}.
     *
     * @param clientHash a well-mixed hash of the client's IP address (not its port), see {@link ClientHash}
     * @param excluded   servers already tried for this session: bit {@code i % 64} set excludes the server with
     *                   {@link Server#index()} {@code i}; in a group of more than 64 servers a bit excludes every
     *                   server whose index it is modulo 64, so a retry passes over a few untried ones too, but
     *                   never goes back to one tried (with a bit of 0 from index 64 on, it went back to them)
     * @return the server, or {@code null} when no server can take the session
     */
    Server pick(int clientHash, long excluded);

    /**
     * Takes over what {@code previous}, a balancer of the same algorithm over an earlier snapshot of the group,
     * had learned (a round-robin turn, smooth weighted counters), for the servers both share, so that a change
     * of membership or weights does not restart the rotation. Called once, before the first pick; not on the
     * hot path. Balancers without such state ignore it.
     */
    default void inherit(final Balancer previous) {
    }

    /**
     * Starts a rotation {@code turn} places in: each loop's first balancer of a group starts at its own loop's
     * index, so that the first sessions over all loops go where one loop's first sessions would, instead of every
     * loop sending its first to the first server (black-box testing, session 34: four long sessions on four loops
     * all went to one server of four). Balancers without a rotation ignore it.
     */
    default void startAt(final int turn) {
    }

    /** Where {@code server} is in {@code servers} (by identity), or -1. */
    static int indexOf(final Server[] servers, final Server server) {
        for (int i = 0; i < servers.length; i++) {
            if (servers[i] == server) {
                return i;
            }
        }
        return -1;
    }

    /** Whether {@code server} takes new sessions and is not excluded by the mask, see {@link #pick}. */
    static boolean available(final Server server, final long excluded) {
        return server.acceptsNew() && !isExcluded(server, excluded);
    }

    /**
     * The server's weight when it can take a new session ({@link #available}); else 0. The weighted algorithms'
     * test of a server.
     */
    static int availableWeight(final Server server, final long excluded) {
        return available(server, excluded) ? Math.max(0, server.effectiveWeight()) : 0;
    }

    /** Whether {@code server} is excluded by the mask, see {@link #pick}. */
    static boolean isExcluded(final Server server, final long excluded) {
        return (excluded & bit(server)) != 0;
    }

    /** The mask bit of {@code server}: bit {@code index % 64}, see {@link #pick}. */
    static long bit(final Server server) {
        return 1L << (server.index() & 63);
    }
}
