package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * nginx's smooth weighted round robin: weights 5, 1, 1 give a a b a c a a, interleaving the light servers
 * into the heavy one's turns instead of a a a a a b c.
 *
 * <p>Threading: not threadsafe; owned by one event loop.
 *
 * <p>Each pick adds every available server's weight to its current value, takes the server with the highest
 * current value (the first in index order on a tie) and subtracts the total of the weights added from it.
 * Weights ({@link Server#effectiveWeight()}) are read live on every pick, so a weight change, a state change
 * or a slow-start step takes effect at once; excluded servers and those that take no new sessions take no
 * part and keep their current value.
 *
 * <p>A retry (servers excluded: the session's connect to one failed) is drawn at random by weight among the
 * others and leaves the current values alone ({@link RetryDraw}).
 */
final class SmoothWeightedRoundRobin implements Balancer {
    private final Server[] servers;
    private final long[] current;
    private final RetryDraw retries;

    SmoothWeightedRoundRobin(final Server[] servers, final long seed) {
        this(servers, new SplitMix64(seed));
    }

    SmoothWeightedRoundRobin(final Server[] servers, final SplitMix64 random) {
        this.servers = servers.clone();
        this.current = new long[servers.length];
        this.retries = new RetryDraw(random);
    }

    /** As if {@code turn} picks had been made (within one cycle of the weights): the picks they would have made. */
    @Override
    public void startAt(final int turn) {
        long total = 0;
        for (final Server server : servers) {
            total += Balancer.availableWeight(server, 0);
        }
        for (long i = total == 0 ? 0 : Math.floorMod(turn, total); i > 0; i--) {
            pick(0, 0);
        }
    }

    /** Servers both snapshots share keep their current values; new ones start at 0, as in nginx. */
    @Override
    public void inherit(final Balancer previous) {
        if (previous instanceof SmoothWeightedRoundRobin old) {
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
        if (excluded != 0) {
            final int i = retries.byWeight(servers, excluded);
            return i < 0 ? null : servers[i];
        }
        final long[] current = this.current;
        long total = 0;
        int best = -1;
        for (int i = 0; i < servers.length; i++) {
            final Server server = servers[i];
            final int weight = Balancer.availableWeight(server, excluded);
            if (weight == 0) {
                continue;
            }
            final long c = current[i] + weight;
            current[i] = c;
            total += weight;
            if (best < 0 || c > current[best]) {
                best = i;
            }
        }
        if (best < 0) {
            return null;
        }
        current[best] -= total;
        return servers[best];
    }
}
