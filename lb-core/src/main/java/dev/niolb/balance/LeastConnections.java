package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * The server with the fewest active sessions relative to its weight.
 *
 * <p>Threading: not threadsafe; owned by one event loop. Reads every loop's counts through
 * {@link Server#active()}.
 *
 * <p>Loads {@code active / weight} are compared by cross-multiplication, so there is no division and no
 * rounding. Equally loaded servers are chosen among by smooth weighted round robin (nginx's {@code least_conn}
 * does the same): when traffic is light every server has 0 sessions open, and the weights, slow start's among
 * them, must still decide, 3:1:1 for weights 3, 1 and 1. A rotation that ignored weights shared such traffic
 * evenly. A burst of accepts, which all see the same counts (a session shows in {@link Server#active()} only
 * once it is recorded, other loops' a little later), is spread the same way rather than sent to one server.
 */
final class LeastConnections implements Balancer {
    private final Server[] servers;
    /** Smooth weighted round robin's current weight of each server, among the least loaded. */
    private final long[] current;
    /** The first pass's reading of each server's sessions, 0 weight for those unavailable: one reading a pick. */
    private final long[] actives;
    private final int[] weights;

    LeastConnections(final Server[] servers) {
        this.servers = servers.clone();
        this.current = new long[servers.length];
        this.actives = new long[servers.length];
        this.weights = new int[servers.length];
    }

    /** Ties go on where the previous balancer left them, for the servers both have. */
    @Override
    public void inherit(final Balancer previous) {
        if (previous instanceof LeastConnections old) {
            for (int i = 0; i < servers.length; i++) {
                final int at = Balancer.indexOf(old.servers, servers[i]);
                if (at >= 0) {
                    current[i] = old.current[at];
                }
            }
        }
    }

    @Override
    public Server pick(final int clientHash, final long excluded) {
        final Server[] servers = this.servers;
        final int n = servers.length;
        long bestActive = 0;
        int bestWeight = 0;
        for (int i = 0; i < n; i++) {
            final Server server = servers[i];
            final int weight = Balancer.availableWeight(server, excluded);
            weights[i] = weight;
            if (weight > 0) {
                final long active = server.active();
                actives[i] = active;
                // active / weight < bestActive / bestWeight, both weights positive
                if (bestWeight == 0 || active * bestWeight < bestActive * weight) {
                    bestActive = active;
                    bestWeight = weight;
                }
            }
        }
        if (bestWeight == 0) {
            return null;
        }
        int best = -1;
        long total = 0;
        for (int i = 0; i < n; i++) {
            final int weight = weights[i];
            if (weight > 0 && actives[i] * bestWeight == bestActive * weight) {
                current[i] += weight;
                total += weight;
                if (best < 0 || current[i] > current[best]) {
                    best = i;
                }
            }
        }
        current[best] -= total;
        return servers[best];
    }
}
