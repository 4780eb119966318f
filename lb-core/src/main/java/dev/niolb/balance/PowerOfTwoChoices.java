package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * The power of two random choices (Mitzenmacher): draw two distinct available servers at random and take the
 * one with fewer active sessions relative to its weight. Nearly as even as least connections, but loops that
 * see the same stale counts do not all rush to the same least loaded server.
 *
 * <p>{@code leasttime} is the same draw with another score: {@code (connect-time EWMA + 50 µs) × (active + 1)
 * / weight}, so a server that answers connects slowly (far away, overloaded, its accept queue backing up) gets
 * fewer new sessions, and equal times reduce to least connections. The 50 µs floor keeps a server with no
 * measurement yet (EWMA 0) from winning every draw by a zero score.
 *
 * <p>Threading: not threadsafe; owned by one event loop. Its SplitMix64 generator is per instance and seeded
 * per loop, so loops do not draw in lockstep.
 *
 * <p>Draws are bounded: after a few draws that hit only excluded or weight-0 servers, a linear scan from a
 * random start finds the candidates, so a group that is mostly unavailable costs one scan, never a spin.
 */
final class PowerOfTwoChoices implements Balancer {
    private static final int DRAWS = 4;
    private static final double TIME_FLOOR_NANOS = 50_000;

    private final Server[] servers;
    private final boolean byConnectTime;
    private long state;

    PowerOfTwoChoices(final Server[] servers, final long seed) {
        this(servers, seed, false);
    }

    /** @param byConnectTime score by connect time and active sessions ({@code leasttime}) */
    PowerOfTwoChoices(final Server[] servers, final long seed, final boolean byConnectTime) {
        this.servers = servers.clone();
        this.state = seed;
        this.byConnectTime = byConnectTime;
    }

    @Override
    public Server pick(final int clientHash, final long excluded) {
        final int n = servers.length;
        if (n == 0) {
            return null;
        }
        int a = draw(-1, excluded);
        if (a < 0) {
            a = scan(nextInt(n), -1, excluded);
            if (a < 0) {
                return null;
            }
        }
        int b = n > 1 ? draw(a, excluded) : -1;
        if (b < 0) {
            b = scan(nextInt(n), a, excluded);
            if (b < 0) {
                return servers[a];
            }
        }
        return byConnectTime ? faster(servers[a], servers[b]) : lessLoaded(servers[a], servers[b]);
    }

    /** A random available position other than {@code other}, or -1 after {@link #DRAWS} misses. */
    private int draw(final int other, final long excluded) {
        final int n = servers.length;
        for (int d = 0; d < DRAWS; d++) {
            int i;
            if (other < 0) {
                i = nextInt(n);
            } else {
                i = nextInt(n - 1);
                if (i >= other) {
                    i++;
                }
            }
            if (available(servers[i], excluded)) {
                return i;
            }
        }
        return -1;
    }

    /** The first available position other than {@code other} from {@code from} on, wrapping; -1 when none. */
    private int scan(final int from, final int other, final long excluded) {
        final int n = servers.length;
        for (int k = 0, i = from; k < n; k++, i++) {
            if (i >= n) {
                i = 0;
            }
            if (i != other && available(servers[i], excluded)) {
                return i;
            }
        }
        return -1;
    }

    /** {@code a} unless {@code b} is strictly less loaded; a was drawn at random, so ties stay random. */
    private static Server lessLoaded(final Server a, final Server b) {
        final int wa = a.effectiveWeight();
        final int wb = b.effectiveWeight();
        // weights are read again here and may have dropped to 0 since the draw: such a server loses
        if (wa <= 0) {
            return b;
        }
        if (wb <= 0) {
            return a;
        }
        return b.active() * wa < a.active() * wb ? b : a;
    }

    /** {@code a} unless {@code b} has the strictly lower time score, see the class comment. */
    private static Server faster(final Server a, final Server b) {
        final int wa = a.effectiveWeight();
        final int wb = b.effectiveWeight();
        if (wa <= 0) {
            return b;
        }
        if (wb <= 0) {
            return a;
        }
        final double scoreA = (a.connectNanosEwma() + TIME_FLOOR_NANOS) * (a.active() + 1) * wb;
        final double scoreB = (b.connectNanosEwma() + TIME_FLOOR_NANOS) * (b.active() + 1) * wa;
        return scoreB < scoreA ? b : a;
    }

    private static boolean available(final Server server, final long excluded) {
        return server.acceptsNew() && !Balancer.isExcluded(server, excluded);
    }

    /** Uniform in [0, bound) by Lemire's multiply-shift on 32 random bits; bound is positive. */
    private int nextInt(final int bound) {
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** SplitMix64 (Steele, Lea, Flood), as in {@link java.util.SplittableRandom}. */
    private long nextLong() {
        long z = (state += 0x9e3779b97f4a7c15L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
