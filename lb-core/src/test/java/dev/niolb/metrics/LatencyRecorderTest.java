package dev.niolb.metrics;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LatencyRecorderTest {
    private static final long MS = 1_000_000L; // ns

    @Test
    void quantilesComeFromTheValuesOfEveryStripe() {
        final LatencyRecorder r = new LatencyRecorder(2, LatencyBuckets.LATENCY);
        for (int i = 1; i <= 100; i++) {
            r.record(i % 2, i * MS); // 1..100 ms, split over two loops
        }
        final LatencySnapshot s = r.snapshot(0);
        assertThat(s.count()).isEqualTo(100);
        assertThat(s.windowCount()).isEqualTo(100);
        assertThat(s.p50Micros()).isCloseTo(50_000, within(1_000L));
        assertThat(s.p99Micros()).isCloseTo(99_000, within(1_000L));
        assertThat(s.maxMicros()).isCloseTo(100_000, within(1_000L));
        assertThat(s.sumMicros()).isEqualTo(5050 * 1000L);
    }

    @Test
    void countAndSumAccumulateOverReadsWhileTheWindowForgetsOldValues() {
        final LatencyRecorder r = new LatencyRecorder(1, LatencyBuckets.LATENCY);
        r.record(0, 10 * MS);
        assertThat(r.snapshot(0).windowCount()).isEqualTo(1);
        r.record(0, 20 * MS);
        final LatencySnapshot later = r.snapshot(30_000);
        assertThat(later.count()).isEqualTo(2);
        assertThat(later.windowCount()).isEqualTo(2);
        // two minutes on: nothing recorded in the last minute, but the totals stay
        final LatencySnapshot quiet = r.snapshot(150_000);
        assertThat(quiet.count()).isEqualTo(2);
        assertThat(quiet.sumMicros()).isEqualTo(30_000);
        assertThat(quiet.hasQuantiles()).isFalse();
        assertThat(quiet.p99Micros()).isEqualTo(-1);
        assertThat(LatencySnapshot.seconds(quiet.p99Micros())).isNaN();
    }

    @Test
    void aValueBeyondTheRangeIsCountedAtTheMaximumAndSummedExactly() {
        final LatencyRecorder r = new LatencyRecorder(1, LatencyBuckets.LATENCY);
        final long days = TimeUnit.DAYS.toNanos(3);
        r.record(0, days);
        r.record(0, -5); // a clock step backwards counts as 0, it does not throw on the loop
        final LatencySnapshot s = r.snapshot(0);
        assertThat(s.count()).isEqualTo(2);
        assertThat(s.maxMicros()).isGreaterThanOrEqualTo(LatencyRecorder.HIGHEST_MICROS);
        assertThat(s.sumMicros()).isEqualTo(days / 1000);
    }

    @Test
    void bucketCountsAreCumulativeSinceStartAndEndWithEveryValue() {
        final LatencyRecorder r = new LatencyRecorder(2, LatencyBuckets.LATENCY);
        r.record(0, 80_000); // 80 µs: under the first bound, 100 µs
        r.record(1, 3 * MS); // between 2.5 and 5 ms
        assertThat(r.snapshot(0).buckets().cumulative()[0]).isEqualTo(1);
        r.record(0, 3 * MS);
        r.record(1, 60_000 * MS); // a minute: past the last bound, 10 s
        final long[] c = r.snapshot(150_000).buckets().cumulative(); // the window has moved on; buckets have not
        final LatencyBuckets b = LatencyBuckets.LATENCY;
        for (int i = 0; i < b.size(); i++) {
            final double bound = b.seconds(i);
            final long expected = bound < 0.0001 ? 0 : bound < 0.003 ? 1 : 3;
            assertThat(c[i]).as("le=%s", b.label(i)).isEqualTo(expected);
        }
        assertThat(c[b.size()]).as("+Inf").isEqualTo(4);
    }

    @Test
    void aValueOnABoundCountsInThatBucket() {
        final LatencyRecorder r = new LatencyRecorder(1, LatencyBuckets.LATENCY);
        r.record(0, 5 * MS); // exactly le="0.005"
        r.record(0, 5 * MS + 100 * 1000); // 5.1 ms: 2% over it, past the histogram's resolution
        final long[] c = r.snapshot(0).buckets().cumulative();
        int at5ms = 0;
        while (!LatencyBuckets.LATENCY.label(at5ms).equals("0.005")) {
            at5ms++;
        }
        assertThat(c[at5ms - 1]).isZero();
        assertThat(c[at5ms]).isEqualTo(1);
        assertThat(c[at5ms + 1]).isEqualTo(2);
    }

    @Test
    void aValueAMicrosecondPastABoundCountsInTheNextBucketThoughTheHistogramCannotTellThemApart() {
        final LatencyRecorder r = new LatencyRecorder(1, LatencyBuckets.LATENCY);
        r.record(0, 5 * MS + 1_000); // 5.001 ms: within the histogram's 1% of 5 ms
        final long[] c = r.snapshot(0).buckets().cumulative();
        int at5ms = 0;
        while (!LatencyBuckets.LATENCY.label(at5ms).equals("0.005")) {
            at5ms++;
        }
        assertThat(c[at5ms]).as("le=0.005").isZero();
        assertThat(c[at5ms + 1]).as("le=0.01").isEqualTo(1);
    }

    @Test
    void boundsAreWrittenAsPlainDecimals() {
        assertThat(LatencyBuckets.LATENCY.label(0)).isEqualTo("0.0001");
        assertThat(LatencyBuckets.LATENCY.label(LatencyBuckets.LATENCY.size() - 1)).isEqualTo("10");
        assertThat(LatencyBuckets.DURATION.label(LatencyBuckets.DURATION.size() - 1)).isEqualTo("14400");
    }

    @Test
    void aStripeNeverRecordedCostsNoHistogram() {
        final LatencyRecorder r = new LatencyRecorder(4, LatencyBuckets.LATENCY);
        assertThat(r.snapshot(0)).isEqualTo(new LatencySnapshot(0, 0, 0, -1, -1, -1, -1,
            new LatencySnapshot.Buckets(LatencyBuckets.LATENCY, new long[LatencyBuckets.LATENCY.size() + 1])));
    }

    /**
     * The loop's side of a recorder allocates nothing once the stripe has its recorder, even while another thread
     * swaps interval histograms out at full speed: measured with the thread's own allocation counter.
     */
    @Test
    void recordingAllocatesNothingInSteadyStateWhileAnotherThreadReads() throws Exception {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        final LatencyRecorder r = new LatencyRecorder(1, LatencyBuckets.LATENCY);
        final AtomicBoolean reading = new AtomicBoolean(true);
        final Thread reader = Thread.ofPlatform().start(() -> {
            long t = 0;
            while (reading.get()) {
                r.snapshot(t += 7);
            }
        });
        final AtomicLong allocated = new AtomicLong(-1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final CountDownLatch done = new CountDownLatch(1);
        final Thread loop = Thread.ofPlatform().name("fake-loop").start(() -> {
            try {
                long v = 1;
                for (int i = 0; i < 200_000; i++) { // warm-up: first recorder, JIT
                    r.record(0, (v = v * 6364136223846793005L + 1442695040888963407L) >>> 30);
                }
                // the least of three rounds: a JIT recompilation mid-round may allocate on this thread once;
                // anything per record would show as megabytes in every round
                long least = Long.MAX_VALUE;
                for (int round = 0; round < 3; round++) {
                    threads.getCurrentThreadAllocatedBytes();
                    final long before = threads.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < 1_000_000; i++) {
                        r.record(0, (v = v * 6364136223846793005L + 1442695040888963407L) >>> 30);
                    }
                    least = Math.min(least, threads.getCurrentThreadAllocatedBytes() - before);
                }
                allocated.set(least);
            } catch (final Throwable t) {
                failure.set(t);
            } finally {
                done.countDown();
            }
        });
        done.await();
        reading.set(false);
        reader.join();
        loop.join();
        assertThat(failure.get()).isNull();
        assertThat(allocated.get()).as("bytes allocated by 1,000,000 records").isZero();
        assertThat(r.snapshot(Long.MAX_VALUE / 2).count()).isEqualTo(3_200_000);
    }
}
