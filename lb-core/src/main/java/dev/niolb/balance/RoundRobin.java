package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * Each server in turn, ignoring weights except that weight 0 takes nothing.
 *
 * <p>A retry (a pick with servers excluded: the session's connect to one failed) takes its server from a turn
 * of its own. Taken from the first picks' turn, it moved that on by one: with two servers one of which refuses,
 * every session was sent to the refusing one first (its turn came round again at each new session), and with
 * three, half of them (black-box testing, session 25). Now a server that refuses is tried first in its own
 * turns only, and the sessions it fails go round the others.
 *
 * <p>Threading: not threadsafe; owned by one event loop (the cursors are plain state).
 */
final class RoundRobin implements Balancer {
    private final Server[] servers;
    /** Where the next first pick starts. */
    private int next;
    /** Where the next retry starts. */
    private int nextRetry;

    RoundRobin(final Server[] servers) {
        this.servers = servers.clone();
    }

    /** The turn goes on after the server the previous balancer picked last, wherever it is now. */
    @Override
    public void inherit(final Balancer previous) {
        if (previous instanceof RoundRobin old) {
            next = continued(old, old.next);
            nextRetry = continued(old, old.nextRetry);
        }
    }

    /** Where a cursor of {@code old} at {@code at} goes on in this balancer's servers. */
    private int continued(final RoundRobin old, final int at) {
        if (at > 0 && at <= old.servers.length) {
            final int i = Balancer.indexOf(servers, old.servers[at - 1]);
            return i >= 0 ? i + 1 : Math.min(at, servers.length);
        }
        return 0;
    }

    @Override
    public Server pick(final int clientHash, final long excluded) {
        if (excluded == 0) {
            final int i = take(next, 0);
            if (i < 0) {
                return null;
            }
            next = i + 1;
            return servers[i];
        }
        final int i = take(nextRetry, excluded);
        if (i < 0) {
            return null;
        }
        nextRetry = i + 1;
        return servers[i];
    }

    /**
     * The position of the first server from {@code from} on (wrapping) that takes new sessions and is not
     * excluded, or -1. The cursor is then set after it, so skipped servers do not shift the turn of the others.
     */
    private int take(final int from, final long excluded) {
        final Server[] servers = this.servers;
        final int n = servers.length;
        int i = from;
        for (int tried = 0; tried < n; tried++) {
            if (i >= n) {
                i = 0;
            }
            final Server server = servers[i];
            if (server.acceptsNew() && !Balancer.isExcluded(server, excluded)) {
                return i;
            }
            i++;
        }
        return -1;
    }
}
