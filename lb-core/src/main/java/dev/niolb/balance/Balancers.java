package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.backend.Server;

import java.util.Objects;

/** Builds the balancer for an algorithm over one snapshot of servers. */
public final class Balancers {
    private Balancers() {
    }

    /**
     * @param servers a group snapshot's servers, in index order; not modified
     * @param seed    seeds the random choices of {@code random} and {@code leasttime}, and of the round robins'
     *                retries (per loop, so loops do not pick in lockstep)
     */
    public static Balancer create(final Algorithm algorithm, final Server[] servers, final long seed) {
        return create(algorithm, servers, new SplitMix64(seed));
    }

    /** As {@link #create(Algorithm, Server[], long)}, drawing from {@code random} (a loop's, kept across snapshots). */
    static Balancer create(final Algorithm algorithm, final Server[] servers, final SplitMix64 random) {
        Objects.requireNonNull(algorithm, "algorithm");
        for (final Server server : servers) {
            Objects.requireNonNull(server, "servers must not contain null");
        }
        return switch (algorithm) {
            case ROUNDROBIN -> new RoundRobin(servers, random);
            case WEIGHTED -> new SmoothWeightedRoundRobin(servers, random);
            case LEASTCONN -> new LeastConnections(servers);
            case SOURCE -> new Maglev(MaglevTable.build(servers));
            case RANDOM -> new PowerOfTwoChoices(servers, random, false);
            case LEASTTIME -> new PowerOfTwoChoices(servers, random, true);
        };
    }

    /**
     * A {@code source} balancer over a table built once for the snapshot: building takes milliseconds and the
     * table is immutable, so every loop can share it instead of building its own.
     */
    public static Balancer source(final MaglevTable table) {
        return new Maglev(Objects.requireNonNull(table, "table"));
    }

    /** {@link #source(MaglevTable)} with bounded loads: {@code balanceFactor} percent of the average, 0 for none. */
    public static Balancer source(final MaglevTable table, final int balanceFactor) {
        return new Maglev(Objects.requireNonNull(table, "table"), balanceFactor);
    }
}
