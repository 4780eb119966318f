package dev.niolb.bench.harness.load;

import org.HdrHistogram.Histogram;

/**
 * Records request latency from when each request was <em>meant</em> to be sent, as wrk2 does, so a
 * stall is not hidden by the requests it delayed (coordinated omission). At a fixed rate, request
 * {@code i} is meant to go at {@code first + i * interval}; when the client falls behind it sends at
 * once, and the waiting counts. At max rate ({@code interval == 0}) a request is meant to go when it
 * is sent, so both histograms hold the same values.
 *
 * <p>Not threadsafe: one per connection.
 */
public final class IntendedTimeRecorder {

    private static final long HIGHEST = 60_000_000_000L;

    private final long intervalNanos;
    private final LoadWindow window;
    private final Histogram corrected;
    private final Histogram uncorrected;
    private long nextIntended;

    /**
     * @param firstIntended when the first request is meant to go (nanoTime)
     * @param intervalNanos time between intended sends; 0 for max rate
     * @param corrected receives completion minus intended send time
     * @param uncorrected receives completion minus actual send time (the service time)
     */
    public IntendedTimeRecorder(final long firstIntended, final long intervalNanos, final LoadWindow window,
                                final Histogram corrected, final Histogram uncorrected) {
        if (intervalNanos < 0) {
            throw new IllegalArgumentException("interval must not be negative");
        }
        this.nextIntended = firstIntended;
        this.intervalNanos = intervalNanos;
        this.window = window;
        this.corrected = corrected;
        this.uncorrected = uncorrected;
    }

    /** When the next request should be sent: its slot in the schedule, or {@code now} at max rate. */
    public long nextSendTime(final long now) {
        return intervalNanos == 0 ? now : nextIntended;
    }

    /** Records the request sent at {@code sentAt} and completed at {@code doneAt}, and moves to the next slot. */
    public void completed(final long sentAt, final long doneAt) {
        final long intended = intervalNanos == 0 ? sentAt : nextIntended;
        if (window.measures(intended, doneAt)) {
            corrected.recordValue(Math.min(HIGHEST, doneAt - intended));
            uncorrected.recordValue(Math.min(HIGHEST, doneAt - sentAt));
        }
        nextIntended += intervalNanos;
    }
}
