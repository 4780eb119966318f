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
     * {@code sessions} sessions, each picked afresh and, when the pick is server {@code refusing} (its connect
     * fails), picked again with it excluded. Returns the number of first picks of the refusing server, then the
     * sessions each server index served.
     */
    static int[] sessionsWithARefusingServer(final Balancer balancer, final int refusing, final int sessions) {
        final int[] counts = new int[1 + 64];
        int servers = 0;
        for (int i = 0; i < sessions; i++) {
            Server s = balancer.pick(i, 0);
            if (s.index() == refusing) {
                counts[0]++;
                s = balancer.pick(i, excluding(refusing));
            }
            counts[1 + s.index()]++;
            servers = Math.max(servers, s.index() + 1);
        }
        return java.util.Arrays.copyOf(counts, 1 + Math.max(servers, refusing + 1));
    }
}
