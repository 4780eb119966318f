package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.target.Server;

/** Builds the balancer for an algorithm over one snapshot of servers. */
public final class Balancers {
    private Balancers() {
    }

    /**
     * @param servers a group snapshot's servers, in index order; not modified
     * @param seed    seeds the random choices of {@code random} (per loop, so loops do not pick in lockstep)
     */
    public static Balancer create(final Algorithm algorithm, final Server[] servers, final long seed) {
        // placeholder until the balancer branch lands: a plain rotation for every algorithm
        return new Balancer() {
            private int next;

            @Override
            public Server pick(final int clientHash, final long excluded) {
                for (int i = 0; i < servers.length; i++) {
                    final Server s = servers[(next + i) % servers.length];
                    if (s.acceptsNew() && !Balancer.isExcluded(s, excluded)) {
                        next = (next + i + 1) % servers.length;
                        return s;
                    }
                }
                return null;
            }
        };
    }
}
