package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * The server of a retry (the session's connect to another failed) for the round robins: drawn at random among
 * those that can take it, evenly or by weight, and not taken from their turn.
 *
 * <p>Taken from the first picks' turn, a retry moved that on, so that with two servers one of which refused,
 * every session was sent to the refusing one first. A turn of the retries' own (session 25) stepped in time with
 * the first picks instead: with servers bad, bad, good, good and one retry, a quarter of the sessions were refused
 * (every retry after the first bad one went to the second), with bad, good, bad, good none, and with bad, bad,
 * good every retry after the first went to the second bad one (black-box testing). Drawn, a retry lands on each
 * server that can take it alike (by weight, for {@code weighted}), whatever the order the servers are listed in.
 *
 * <p>Threading: not threadsafe; owned by the balancer, so by one event loop. Its SplitMix64 generator is seeded
 * per loop.
 */
final class RetryDraw {
    private long state;

    RetryDraw(final long seed) {
        this.state = seed;
    }

    /**
     * The position of a server that {@link Server#acceptsNew() takes new sessions} and is not excluded, each as
     * likely as the others; -1 when none.
     */
    int evenly(final Server[] servers, final long excluded) {
        int eligible = 0;
        for (final Server s : servers) {
            if (s.acceptsNew() && !Balancer.isExcluded(s, excluded)) {
                eligible++;
            }
        }
        if (eligible == 0) {
            return -1;
        }
        int r = (int) ((nextLong() >>> 1) % eligible);
        for (int i = 0; i < servers.length; i++) {
            if (servers[i].acceptsNew() && !Balancer.isExcluded(servers[i], excluded) && r-- == 0) {
                return i;
            }
        }
        return -1; // one stopped taking sessions between the two passes (another thread): none this time
    }

    /**
     * The position of a server of positive weight, not full and not excluded, each as likely as its weight makes
     * it; -1 when none.
     */
    int byWeight(final Server[] servers, final long excluded) {
        long total = 0;
        for (final Server s : servers) {
            total += weightOf(s, excluded);
        }
        if (total == 0) {
            return -1;
        }
        long r = (nextLong() >>> 1) % total;
        for (int i = 0; i < servers.length; i++) {
            r -= weightOf(servers[i], excluded);
            if (r < 0) {
                return i;
            }
        }
        return -1; // a weight dropped between the two passes (the health loop, an operator): none this time
    }

    private static long weightOf(final Server s, final long excluded) {
        final int weight = s.effectiveWeight();
        return weight <= 0 || s.full() || Balancer.isExcluded(s, excluded) ? 0 : weight;
    }

    /** SplitMix64 (Steele, Lea, Flood), as in {@link java.util.SplittableRandom}. */
    private long nextLong() {
        long z = (state += 0x9e3779b97f4a7c15L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
