package dev.niolb.balance;

/**
 * SplitMix64 (Steele, Lea, Flood), as in {@link java.util.SplittableRandom}: the random draws of the balancers
 * ({@code random}, {@code leasttime}, the round robins' retries). A balancer owns one, seeded per loop, so loops
 * do not draw in lockstep; no allocation, no atomics.
 *
 * <p>Threading: not threadsafe; owned by one balancer, so by one event loop.
 */
final class SplitMix64 {
    private long state;

    SplitMix64(final long seed) {
        this.state = seed;
    }

    long nextLong() {
        long z = (state += 0x9e3779b97f4a7c15L);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
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
