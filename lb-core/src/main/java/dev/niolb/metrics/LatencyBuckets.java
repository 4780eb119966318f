package dev.niolb.metrics;

import java.math.BigDecimal;

/**
 * The fixed upper bounds of a Prometheus histogram's buckets, in seconds: the same on every niolb, so that a
 * fleet's histograms can be summed ({@code sum by (le) (rate(..._bucket[5m]))}) and an SLO written against a
 * bound ("99% of connects under 10 ms"). A bucket counts the values up to and including its bound; the
 * {@code +Inf} bucket, every value, is implied.
 *
 * <p>Immutable; any thread.
 */
public final class LatencyBuckets {
    /**
     * Connect times and UDP first replies: 100 µs (a connect on one host) to 10 s (past any connect timeout
     * worth having).
     */
    public static final LatencyBuckets LATENCY = new LatencyBuckets(
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10);
    /** Session and flow durations: 1 ms (a refused or one-shot exchange) to 4 hours. */
    public static final LatencyBuckets DURATION = new LatencyBuckets(
        0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400);

    private final double[] seconds;
    private final long[] micros;
    private final String[] labels;

    private LatencyBuckets(final double... seconds) {
        this.seconds = seconds.clone();
        this.micros = new long[seconds.length];
        this.labels = new String[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            if (i > 0 && seconds[i] <= seconds[i - 1]) {
                throw new IllegalArgumentException("bucket bounds must increase");
            }
            micros[i] = Math.round(seconds[i] * 1e6);
            // Go's client writes le="0.0001", never 1.0E-4: plain decimals, so that the series of every niolb
            // (and of other exporters with the same bounds) carry the same label values
            labels[i] = BigDecimal.valueOf(seconds[i]).stripTrailingZeros().toPlainString();
        }
    }

    /** How many finite bounds there are (the {@code +Inf} bucket is not counted). */
    public int size() {
        return seconds.length;
    }

    /** The {@code le} label value of bound {@code i}. */
    public String label(final int i) {
        return labels[i];
    }

    public double seconds(final int i) {
        return seconds[i];
    }

    /** The bucket of a value in microseconds: the first bound at or above it, or {@link #size()} for +Inf. */
    int indexOf(final long valueMicros) {
        for (int i = 0; i < micros.length; i++) {
            if (valueMicros <= micros[i]) {
                return i;
            }
        }
        return micros.length;
    }
}
