package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * Each server in turn, ignoring weights except that weight 0 takes nothing. A retry (a pick with servers
 * excluded: the session's connect to one failed) is drawn at random among the others instead, and leaves the
 * turn alone ({@link RetryDraw}).
 *
 * <p>Threading: not threadsafe; owned by one event loop (the cursor is plain state).
 */
final class RoundRobin implements Balancer {
    private final Server[] servers;
    private final RetryDraw retries;
    private int next;

    RoundRobin(final Server[] servers, final long seed) {
        this(servers, new SplitMix64(seed));
    }

    RoundRobin(final Server[] servers, final SplitMix64 random) {
        this.servers = servers.clone();
        this.retries = new RetryDraw(random);
    }

    @Override
    public void startAt(final int turn) {
        next = servers.length == 0 ? 0 : Math.floorMod(turn, servers.length);
    }

    /** The turn goes on after the server the previous balancer picked last, wherever it is now. */
    @Override
    public void inherit(final Balancer previous) {
        if (previous instanceof RoundRobin old && old.next > 0 && old.next <= old.servers.length) {
            final int at = Balancer.indexOf(servers, old.servers[old.next - 1]);
            next = at >= 0 ? at + 1 : Math.min(old.next, servers.length);
        }
    }

    @Override
    public Server pick(final int clientHash, final long excluded) {
        final Server[] servers = this.servers;
        if (excluded != 0) {
            final int i = retries.evenly(servers, excluded);
            return i < 0 ? null : servers[i];
        }
        final int n = servers.length;
        int i = next;
        for (int tried = 0; tried < n; tried++) {
            if (i >= n) {
                i = 0;
            }
            final Server server = servers[i++];
            if (server.acceptsNew()) {
                // continue after the one taken, so skipped servers do not shift the turn of the others
                next = i;
                return server;
            }
        }
        return null;
    }
}
