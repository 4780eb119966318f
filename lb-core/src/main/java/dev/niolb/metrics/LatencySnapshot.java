package dev.niolb.metrics;

import java.util.Arrays;

/**
 * What a {@link LatencyRecorder} held when read: cumulative count and sum since start, cumulative bucket counts
 * since start, and quantiles over its sliding window. All times in microseconds; the quantiles are -1 when the
 * window holds no value.
 *
 * @param count       values recorded since start
 * @param sumMicros   their sum since start (exact)
 * @param windowCount values in the window the quantiles are taken over
 * @param buckets     values since start at or under each fixed bound, for a Prometheus histogram
 */
public record LatencySnapshot(long count, long sumMicros, long windowCount, long p50Micros, long p90Micros,
                              long p99Micros, long maxMicros, Buckets buckets) {

    /**
     * Cumulative counts of a histogram: {@code cumulative[i]} values at or under bound {@code i} of
     * {@code bounds}, the last element (+Inf) every value.
     */
    public record Buckets(LatencyBuckets bounds, long[] cumulative) {
        public Buckets {
            if (cumulative.length != bounds.size() + 1) {
                throw new IllegalArgumentException("one count per bound and one for +Inf");
            }
        }

        @Override
        public boolean equals(final Object o) {
            return o instanceof Buckets b && b.bounds == bounds && Arrays.equals(b.cumulative, cumulative);
        }

        @Override
        public int hashCode() {
            return 31 * bounds.hashCode() + Arrays.hashCode(cumulative);
        }

        @Override
        public String toString() {
            return Arrays.toString(cumulative);
        }
    }

    static LatencySnapshot empty(final long count, final long sumMicros, final Buckets buckets) {
        return new LatencySnapshot(count, sumMicros, 0, -1, -1, -1, -1, buckets);
    }

    /** Whether the window holds values, so that the quantiles mean something. */
    public boolean hasQuantiles() {
        return windowCount > 0;
    }

    public double sumSeconds() {
        return sumMicros / 1e6;
    }

    /** A quantile in seconds, NaN when the window is empty. */
    public static double seconds(final long micros) {
        return micros < 0 ? Double.NaN : micros / 1e6;
    }

    /** A quantile in milliseconds, NaN when the window is empty. */
    public static double millis(final long micros) {
        return micros < 0 ? Double.NaN : micros / 1e3;
    }
}
