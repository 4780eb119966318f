package dev.niolb.balance;

import dev.niolb.config.ServerConfig;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerCounters;

import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Builds servers and loads for balancer tests. */
final class TestServers {
    private TestServers() {
    }

    /** Servers s0, s1, … with the given weights, one counter stripe each. */
    static Server[] withWeights(final int... weights) {
        final Server[] servers = new Server[weights.length];
        for (int i = 0; i < servers.length; i++) {
            servers[i] = server(i, "s" + i, weights[i]);
        }
        return servers;
    }

    /** {@code n} servers of weight 1. */
    static Server[] equal(final int n) {
        final int[] weights = new int[n];
        Arrays.fill(weights, 1);
        return withWeights(weights);
    }

    static Server server(final int index, final String name, final int weight) {
        return new Server(index, new ServerConfig(name, new InetSocketAddress("127.0.0.1", 10000 + index), weight), 1);
    }

    static void setActive(final Server server, final long active) {
        server.counters().add(0, ServerCounters.ACTIVE, active - server.active());
    }

    /** The exclusion mask of the given server indexes. */
    static long excluding(final int... indexes) {
        long mask = 0;
        for (final int i : indexes) {
            mask |= 1L << i;
        }
        return mask;
    }

    /** The next {@code n} picks, with client hashes 0, 1, 2, … */
    static Server[] picks(final Balancer balancer, final int n, final long excluded) {
        final Server[] picked = new Server[n];
        for (int i = 0; i < n; i++) {
            picked[i] = balancer.pick(i, excluded);
        }
        return picked;
    }

    /** How often each server index is picked in {@code picks} picks, with random (but repeatable) client hashes. */
    static int[] countPicks(final Balancer balancer, final int servers, final int picks, final long excluded) {
        final int[] counts = new int[servers];
        final SplittableRandom hashes = new SplittableRandom(7);
        for (int p = 0; p < picks; p++) {
            counts[balancer.pick(hashes.nextInt(), excluded).index()]++;
        }
        return counts;
    }

    /**
     * {@code sessions} sessions, each picked afresh and, while the pick is one of the {@code refusing} server
     * indexes (its connect fails), picked again with the servers tried excluded, up to {@code retries} times.
     * Returns the first picks of a refusing server, the sessions refused (every try refused), then the sessions
     * each server index served.
     */
    static int[] sessionsWithRefusingServers(final Balancer balancer, final java.util.Set<Integer> refusing,
                                             final int retries, final int sessions) {
        final int[] counts = new int[2 + 64];
        int servers = 0;
        for (int i = 0; i < sessions; i++) {
            Server s = balancer.pick(i, 0);
            long tried = 0;
            if (refusing.contains(s.index())) {
                counts[0]++;
            }
            for (int retry = 0; retry < retries && s != null && refusing.contains(s.index()); retry++) {
                tried |= 1L << s.index();
                s = balancer.pick(i, tried);
            }
            if (s == null || refusing.contains(s.index())) {
                counts[1]++;
                continue;
            }
            counts[2 + s.index()]++;
            servers = Math.max(servers, s.index() + 1);
        }
        return java.util.Arrays.copyOf(counts, 2 + servers);
    }
}
