package dev.niolb.balance;

import dev.niolb.backend.Server;

/**
 * The power of two random choices (Mitzenmacher): draw two distinct available servers at random, each with a
 * chance in proportion to its weight, and take the one with fewer active sessions relative to its weight (ties:
 * the first drawn). Nearly as even as least connections, but loops that see the same stale counts do not all
 * rush to the same least loaded server. Drawing by weight is what makes weights (and slow start, which acts
 * through them) count when traffic is light and every server has 0 sessions open: a uniform draw shared such
 * traffic evenly whatever the weights. nginx's {@code random two} draws by weight too.
 *
 * <p>{@code leasttime} is the same draw with another score: {@code (connect time + 1 ms) × (active + 1) /
 * weight}, so a server that answers connects slowly (far away, overloaded, its accept queue backing up) gets
 * fewer new sessions, and equal times (within {@link #SAME_TIME} of each other) reduce to least connections. The
 * connect time is an EWMA that ages: each quarter second since it was last measured halves its weight, and the
 * weight it loses goes to the two drawn servers' typical time (see
 * {@link dev.niolb.backend.ServerCounters#connectFreshness(long)}). A slow connect counts only when the next one
 * is slow too ({@link dev.niolb.backend.ServerCounters#recordConnectNanos}); a slow average cannot starve a server
 * (its time drifts to the other's and it is tried again), a server never measured counts as like the other, and a
 * server measured rarely is not taken for faster than it is. The 1 ms floor keeps jitter from counting as a
 * difference: on a host's own network a connect takes tenths of a millisecond, and one server drawn at nearly every
 * connect measures faster than those drawn seldom (warm caches, more samples). With a floor of 50 µs, 0.22 against
 * 0.34 ms was a difference, the seldom drawn were drawn ever less, and weights 10,1,1 came to 490:3:7 over time
 * (black-box testing, session 24). Servers a millisecond or more apart in connect time are told apart as before.
 *
 * <p>Threading: not threadsafe; owned by one event loop. Its SplitMix64 generator is per instance and seeded
 * per loop, so loops do not draw in lockstep.
 *
 * <p>A draw is a uniform pick kept with probability {@code weight / maxWeight} (rejection sampling: no sums to
 * keep up to date while weights ramp). Draws are bounded: after a few misses (excluded, weight-0 or rejected
 * servers) one linear scan draws by the exact sum of the available weights, so a group that is mostly
 * unavailable costs one scan, never a spin.
 */
final class PowerOfTwoChoices implements Balancer {
    private static final int DRAWS = 8;
    private static final double TIME_FLOOR_NANOS = 1_000_000;
    /** Connect times within this ratio of each other count as equal: the draw is then least connections. */
    static final double SAME_TIME = 1.25;

    private final Server[] servers;
    private final boolean byConnectTime;
    private final SplitMix64 random;
    /** The largest weight seen: the rejection bound. Raised as a draw meets more; set afresh by each scan. */
    private int maxWeight = 1;

    PowerOfTwoChoices(final Server[] servers, final long seed) {
        this(servers, new SplitMix64(seed), false);
    }

    PowerOfTwoChoices(final Server[] servers, final long seed, final boolean byConnectTime) {
        this(servers, new SplitMix64(seed), byConnectTime);
    }

    /**
     * @param random        the loop's draws, going on from the previous snapshot's balancer: a generator seeded
     *                      afresh at every snapshot drew the same first pairs after every weight change
     * @param byConnectTime score by connect time and active sessions ({@code leasttime})
     */
    PowerOfTwoChoices(final Server[] servers, final SplitMix64 random, final boolean byConnectTime) {
        this.servers = servers.clone();
        this.random = random;
        this.byConnectTime = byConnectTime;
        // the rejection bound from the weights as they are: starting at 1, the first draw of each new snapshot's
        // balancer took any server outright, and with sessions at 0 the first drawn wins: weight 1 of 100, 100, 100
        // got a quarter of the picks while weights changed (black-box testing, session 34)
        for (final Server server : servers) {
            maxWeight = Math.max(maxWeight, server.effectiveWeight());
        }
    }

    @Override
    public Server pick(final int clientHash, final long excluded) {
        final int n = servers.length;
        if (n == 0) {
            return null;
        }
        int a = draw(-1, excluded);
        if (a < 0) {
            a = scan(-1, excluded);
            if (a < 0) {
                return null;
            }
        }
        int b = n > 1 ? draw(a, excluded) : -1;
        if (b < 0) {
            b = scan(a, excluded);
            if (b < 0) {
                return servers[a];
            }
        }
        return byConnectTime ? faster(servers[a], servers[b], System.nanoTime()) : lessLoaded(servers[a], servers[b]);
    }

    /** An available position other than {@code other}, drawn by weight; -1 after {@link #DRAWS} misses. */
    private int draw(final int other, final long excluded) {
        final int n = servers.length;
        for (int d = 0; d < DRAWS; d++) {
            int i;
            if (other < 0) {
                i = random.nextInt(n);
            } else {
                i = random.nextInt(n - 1);
                if (i >= other) {
                    i++;
                }
            }
            final Server server = servers[i];
            if (!Balancer.available(server, excluded)) {
                continue;
            }
            final int weight = server.effectiveWeight();
            if (weight >= maxWeight) {
                maxWeight = weight;
                return i;
            }
            if (weight > 0 && random.nextInt(maxWeight) < weight) {
                return i;
            }
        }
        return -1;
    }

    /**
     * An available position other than {@code other}, drawn by weight over the exact sum of the available
     * weights; -1 when none. Sets {@link #maxWeight} to the largest available weight, {@code other}'s included,
     * so that a bound left high by weights that have since dropped does not keep rejecting draws. Without
     * {@code other}'s: with weights 256, 1, 1 the second draw (among the two light ones) misses often, its scan
     * set the bound to 1, and the next first draw took every server as if of weight 1 (51 % to the heavy one,
     * where its weight gives it 99 %: black-box testing, session 23).
     */
    private int scan(final int other, final long excluded) {
        final int n = servers.length;
        long total = 0;
        int max = 0;
        for (int i = 0; i < n; i++) {
            if (Balancer.available(servers[i], excluded)) {
                final int weight = Math.max(0, servers[i].effectiveWeight());
                max = Math.max(max, weight);
                if (i != other) {
                    total += weight;
                }
            }
        }
        if (total == 0) {
            return -1;
        }
        maxWeight = Math.max(1, max);
        long r = random.nextLong(total);
        int last = -1;
        for (int i = 0; i < n; i++) {
            if (i != other && Balancer.available(servers[i], excluded)) {
                last = i;
                r -= Math.max(0, servers[i].effectiveWeight());
                if (r < 0) {
                    return i;
                }
            }
        }
        return last; // a weight dropped between the two passes (an agent, the operator): the last one still there
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
    private static Server faster(final Server a, final Server b, final long nowNanos) {
        final int wa = a.effectiveWeight();
        final int wb = b.effectiveWeight();
        if (wa <= 0) {
            return b;
        }
        if (wb <= 0) {
            return a;
        }
        final long agedA = a.connectNanosEwma(nowNanos);
        final long agedB = b.connectNanosEwma(nowNanos);
        final double freshA = a.connectFreshness(nowNanos);
        final double freshB = b.connectFreshness(nowNanos);
        if (freshA + freshB == 0) {
            return lessLoaded(a, b); // neither measured, or both so long ago that nothing of it is left
        }
        // what age took off an average is taken to be the pair's typical time, not 0: aged towards 0, a server
        // drawn rarely (a light weight) looked faster than one measured at every connect and won every draw
        // against it, so weights 10,1,1 gave the light ones 1 % each, not 8 (black-box testing, session 23)
        final double typical = (agedA + agedB) / (freshA + freshB);
        final double timeA = agedA + (1 - freshA) * typical + TIME_FLOOR_NANOS;
        final double timeB = agedB + (1 - freshB) * typical + TIME_FLOOR_NANOS;
        if (timeA <= timeB * SAME_TIME && timeB <= timeA * SAME_TIME) {
            // times this close are the same time measured with jitter: without this, the server whose average
            // happened to be lowest would win every draw it is in, and one with fewer sessions would not
            return lessLoaded(a, b);
        }
        final double scoreA = timeA * (a.active() + 1) * wb;
        final double scoreB = timeB * (b.active() + 1) * wa;
        return scoreB < scoreA ? b : a;
    }
}
