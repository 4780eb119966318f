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
 * <p>Threading: not threadsafe; owned by the balancer, so by one event loop. Its {@link SplitMix64} is its loop's
 * (the {@link GroupBalancer}'s), which goes on from one snapshot's balancer to the next.
 */
final class RetryDraw {
    private final SplitMix64 random;

    RetryDraw(final SplitMix64 random) {
        this.random = random;
    }

    /**
     * The position of a server that {@link Server#acceptsNew() takes new sessions} and is not excluded, each as
     * likely as the others; -1 when none.
     */
    int evenly(final Server[] servers, final long excluded) {
        int eligible = 0;
        for (final Server s : servers) {
            if (Balancer.available(s, excluded)) {
                eligible++;
            }
        }
        if (eligible == 0) {
            return -1;
        }
        int r = random.nextInt(eligible);
        for (int i = 0; i < servers.length; i++) {
            if (Balancer.available(servers[i], excluded) && r-- == 0) {
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
            total += Balancer.availableWeight(s, excluded);
        }
        if (total == 0) {
            return -1;
        }
        long r = random.nextLong(total);
        for (int i = 0; i < servers.length; i++) {
            r -= Balancer.availableWeight(servers[i], excluded);
            if (r < 0) {
                return i;
            }
        }
        return -1; // a weight dropped between the two passes (the health loop, an operator): none this time
    }
}
