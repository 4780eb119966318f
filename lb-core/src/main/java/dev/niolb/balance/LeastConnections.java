package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * The server with the fewest active sessions relative to its weight.
 *
 * <p>Threading: not threadsafe; owned by one event loop. Reads every loop's counts through
 * {@link Server#active()}.
 *
 * <p>Loads {@code active / weight} are compared by cross-multiplication, so there is no division and no
 * rounding. The scan starts just after the previous pick and a later server must be strictly less loaded to
 * win, so equally loaded servers take turns. Without the rotation a burst of accepts, which all see the same
 * counts (a session shows in {@link Server#active()} only once it is recorded, other loops' a little later),
 * would all go to the first of the equals.
 */
final class LeastConnections implements Balancer {
    private final Server[] servers;
    private int start;

    LeastConnections(final Server[] servers) {
        this.servers = servers.clone();
    }

    /** Ties keep taking turns from where the previous balancer was. */
    @Override
    public void inherit(final Balancer previous) {
        if (previous instanceof LeastConnections old && old.start > 0 && old.start <= old.servers.length) {
            final int n = servers.length;
            final int at = Balancer.indexOf(servers, old.servers[old.start - 1]);
            final int next = at >= 0 ? at + 1 : old.start;
            start = n == 0 || next >= n ? 0 : next;
        }
    }

    @Override
    public Server pick(final int clientHash, final long excluded) {
        final Server[] servers = this.servers;
        final int n = servers.length;
        int i = start;
        int best = -1;
        long bestActive = 0;
        int bestWeight = 0;
        for (int scanned = 0; scanned < n; scanned++, i++) {
            if (i >= n) {
                i = 0;
            }
            final Server server = servers[i];
            final int weight = server.effectiveWeight(); // 0 unless UP and in use; full() is its maxconn
            if (weight <= 0 || server.full() || Balancer.isExcluded(server, excluded)) {
                continue;
            }
            final long active = server.active();
            // active / weight < bestActive / bestWeight, both weights positive
            if (best < 0 || active * bestWeight < bestActive * weight) {
                best = i;
                bestActive = active;
                bestWeight = weight;
            }
        }
        if (best < 0) {
            return null;
        }
        start = best + 1 < n ? best + 1 : 0;
        return servers[best];
    }
}
