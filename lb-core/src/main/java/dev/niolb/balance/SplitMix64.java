package dev.niolb.balance;

/**
 * SplitMix64 (Steele, Lea, Flood), as in {@link java.util.SplittableRandom}: the random draws of the balancers
 * ({@code random}, {@code leasttime}, the round robins' retries). A balancer owns one, seeded per loop, so loops
 * do not draw in lockstep; no allocation, no atomics.
 *
 * <p>Threading: not threadsafe; owned by one balancer, so by one event loop.
 */
final class SplitMix64 {
    private static final long GAMMA = 0x9e3779b97f4a7c15L;
    /**
     * The seeds of {@link #independent} generators: a master SplitMix64 stream from a per-process start. Loop k's
     * seed was {@code GAMMA * (k + 1)}, and a SplitMix64 adds GAMMA at each step, so loop k's stream was loop 0's
     * shifted by k draws: two loops drew the same pairs a pick apart (black-box testing, session 34).
     */
    private static final java.util.concurrent.atomic.AtomicLong SEEDS =
        new java.util.concurrent.atomic.AtomicLong(mix(System.nanoTime() ^ (ProcessHandle.current().pid() << 32)));

    private long state;

    SplitMix64(final long seed) {
        this.state = seed;
    }

    /** A generator whose stream is independent of every other's made so: for each loop's balancers of a group. */
    static SplitMix64 independent() {
        return new SplitMix64(mix(SEEDS.addAndGet(GAMMA)));
    }

    private static long mix(final long x) {
        long z = x;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        return mix(state += GAMMA);
    }

    /** Uniform in [0, bound) by Lemire's multiply-shift on 32 random bits; {@code bound} is positive. */
    int nextInt(final int bound) {
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** In [0, bound) for a positive {@code bound} of any size (a sum of weights). */
    long nextLong(final long bound) {
        return (nextLong() >>> 1) % bound;
    }
}
