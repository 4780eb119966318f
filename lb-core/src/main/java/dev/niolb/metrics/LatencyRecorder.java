package dev.niolb.metrics;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.TimeUnit;

/**
 * A latency distribution (connect times, session durations, reply times) recorded by the event loops and read by
 * the admin API: one HdrHistogram {@link SingleWriterRecorder} per loop, so every recorder has exactly one writer.
 *
 * <p>Threading: loop {@code i} alone calls {@link #record(int, long)} with stripe {@code i}: a wait-free
 * critical section of the recorder's phaser and an array increment, no lock, no allocation (the recorder of a
 * stripe is created on that loop's first record, then reused forever, so a server no loop talks to costs no
 * histogram memory). Readers on any thread call {@link #snapshot(long)}: under this object's monitor it swaps each
 * loop's interval histogram out ({@code getIntervalHistogram(recycle)}, the recycled histograms handed back, so
 * steady reading allocates nothing either) and adds it to the reader's own state:
 * <ul>
 *   <li>a cumulative count per bucket and a sum, exact, for Prometheus' {@code _bucket}, {@code _count} and
 *       {@code _sum}: counted by the loops as they record, in striped counters, since a bucket read off the
 *       histogram is only as exact as its 1% (a 5.001 ms session counted as at most 5 ms: black-box testing,
 *       session 25);</li>
 *   <li>a sliding window of {@value #SLOTS} slots of {@value #SLOT_SECONDS} s, whose merge gives the quantiles,
 *       so that p99 says how the balancer does now, not since it started (Prometheus client summaries do the
 *       same). What loops recorded between two reads lands in the slot of the later read: a window is exact
 *       to the reading interval (the stats page reads every 2 s, Prometheus every 15 s or so).</li>
 * </ul>
 *
 * <p>Values are kept in microseconds from 0 to 2<sup>36</sup> µs (19 hours) with two significant digits (1%);
 * longer values are counted as that maximum (a session of days shows as 19 h in quantiles; the sum stays exact).
 * Each histogram is about 30 KiB.
 */
public final class LatencyRecorder {
    /** Largest value kept in the histograms, in microseconds. */
    public static final long HIGHEST_MICROS = 1L << 36;
    static final int SLOTS = 6;
    static final int SLOT_SECONDS = 10;
    private static final int DIGITS = 2;
    private static final long SLOT_MS = SLOT_SECONDS * 1000L;
    private static final VarHandle RECORDERS = MethodHandles.arrayElementVarHandle(SingleWriterRecorder[].class);

    private final SingleWriterRecorder[] recorders;
    /** Field 0: microseconds, exact (not clamped); 1 + i: values in bucket i (not cumulative; the last +Inf). */
    private final StripedCounters sums;

    // reader state, under this object's monitor
    private final Histogram[] intervals;
    private final Histogram[] slots = new Histogram[SLOTS];
    private final long[] slotEpoch = new long[SLOTS];
    private final LatencyBuckets buckets;
    private Histogram merged;

    /** @param buckets the bounds of the Prometheus histogram this recorder exports */
    public LatencyRecorder(final int stripes, final LatencyBuckets buckets) {
        this.recorders = new SingleWriterRecorder[stripes];
        this.intervals = new Histogram[stripes];
        this.sums = new StripedCounters(1 + buckets.size() + 1, stripes);
        this.buckets = buckets;
    }

    /**
     * Records one value of {@code nanos} (negative counts as 0). Only stripe {@code stripe}'s loop may call this.
     * Allocates only on the stripe's first record.
     */
    public void record(final int stripe, final long nanos) {
        SingleWriterRecorder recorder = (SingleWriterRecorder) RECORDERS.getOpaque(recorders, stripe);
        if (recorder == null) {
            recorder = new SingleWriterRecorder(1, HIGHEST_MICROS, DIGITS);
            RECORDERS.setRelease(recorders, stripe, recorder);
        }
        final long micros = Math.max(0, nanos / 1000);
        recorder.recordValue(Math.min(micros, HIGHEST_MICROS));
        sums.add(stripe, 0, micros);
        sums.add(stripe, 1 + buckets.indexOf(micros), 1);
    }

    /** Values recorded and their distribution now. Any thread; {@code nowMs} is a monotonic clock in ms. */
    public synchronized LatencySnapshot snapshot(final long nowMs) {
        final long epoch = Math.floorDiv(nowMs, SLOT_MS);
        final int current = (int) Math.floorMod(epoch, SLOTS);
        for (int i = 0; i < recorders.length; i++) {
            final SingleWriterRecorder recorder = (SingleWriterRecorder) RECORDERS.getAcquire(recorders, i);
            if (recorder == null) {
                continue;
            }
            final Histogram interval = recorder.getIntervalHistogram(intervals[i]);
            intervals[i] = interval;
            if (interval.getTotalCount() == 0) {
                continue;
            }
            slot(current, epoch).add(interval);
        }
        long sumMicros = 0;
        for (int s = 0; s < sums.stripes(); s++) {
            sumMicros += sums.get(s, 0);
        }
        final long[] cumulative = new long[buckets.size() + 1];
        long running = 0;
        for (int i = 0; i < cumulative.length; i++) {
            running += sums.sum(1 + i);
            cumulative[i] = running;
        }
        final long count = running; // the +Inf bucket's, so that _count is always that
        final LatencySnapshot.Buckets histogram = new LatencySnapshot.Buckets(buckets, cumulative);
        if (merged == null) {
            return LatencySnapshot.empty(count, sumMicros, histogram);
        }
        merged.reset();
        for (int i = 0; i < SLOTS; i++) {
            if (slots[i] != null && epoch - slotEpoch[i] < SLOTS) {
                merged.add(slots[i]);
            }
        }
        if (merged.getTotalCount() == 0) {
            return LatencySnapshot.empty(count, sumMicros, histogram);
        }
        return new LatencySnapshot(count, sumMicros, merged.getTotalCount(),
            merged.getValueAtPercentile(50), merged.getValueAtPercentile(90), merged.getValueAtPercentile(99),
            merged.getMaxValue(), histogram);
    }

    /** The slot of {@code epoch}, emptied when it last held an older epoch. */
    private Histogram slot(final int index, final long epoch) {
        Histogram slot = slots[index];
        if (slot == null) {
            slot = new Histogram(1, HIGHEST_MICROS, DIGITS);
            slots[index] = slot;
            if (merged == null) {
                merged = new Histogram(1, HIGHEST_MICROS, DIGITS);
            }
        } else if (slotEpoch[index] != epoch) {
            slot.reset();
        }
        slotEpoch[index] = epoch;
        return slot;
    }

    /** The window the quantiles cover, in seconds. */
    public static long windowSeconds() {
        return TimeUnit.MILLISECONDS.toSeconds(SLOT_MS * SLOTS);
    }
}
