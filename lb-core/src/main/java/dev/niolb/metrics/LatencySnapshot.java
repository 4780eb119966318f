package dev.niolb.metrics;

/**
 * What a {@link LatencyRecorder} held when read: cumulative count and sum since start, and quantiles over its
 * sliding window. All times in microseconds; the quantiles are -1 when the window holds no value.
 *
 * @param count       values recorded since start
 * @param sumMicros   their sum since start (exact)
 * @param windowCount values in the window the quantiles are taken over
 */
public record LatencySnapshot(long count, long sumMicros, long windowCount, long p50Micros, long p90Micros,
                              long p99Micros, long maxMicros) {

    static LatencySnapshot empty(final long count, final long sumMicros) {
        return new LatencySnapshot(count, sumMicros, 0, -1, -1, -1, -1);
    }

    /** Whether the window holds values, so that the quantiles mean something. */
    public boolean hasQuantiles() {
        return windowCount > 0;
    }

    public double sumSeconds() {
        return sumMicros / 1e6;
    }

    /** A quantile in seconds, NaN when the window is empty (Prometheus' convention for a summary without data). */
    public static double seconds(final long micros) {
        return micros < 0 ? Double.NaN : micros / 1e6;
    }

    /** A quantile in milliseconds, NaN when the window is empty. */
    public static double millis(final long micros) {
        return micros < 0 ? Double.NaN : micros / 1e3;
    }
}
