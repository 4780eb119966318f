package dev.niolb.log;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class LinePaceTest {
    @Test
    void theFirstEventGoesOutWhateverTheClockReads() {
        assertThat(new LinePace(1000).due(Long.MIN_VALUE + 1)).isTrue();
        assertThat(new LinePace(1000).due(-5_000_000_000L)).isTrue(); // nanoTime in ms may read negative
    }

    @Test
    void eventsWithinTheIntervalAreLeftOutAndCountedForTheNextLine() {
        final LinePace pace = new LinePace(1000);
        assertThat(pace.due(10_000)).isTrue();
        assertThat(pace.leftOutSaid("failures")).isEmpty();
        for (int i = 0; i < 7; i++) {
            assertThat(pace.due(10_000 + 999)).isFalse();
        }
        assertThat(pace.due(11_000)).isTrue();
        assertThat(pace.leftOutSaid("failures")).isEqualTo(" (7 more failures since the last one logged, not logged)");
        assertThat(pace.leftOutSaid("")).isEmpty(); // taken once
    }

    @Test
    void anUnnamedCountReadsWithoutAWordForWhat() {
        final LinePace pace = new LinePace(1000);
        pace.due(0);
        pace.due(1);
        pace.due(1000);
        assertThat(pace.leftOutSaid("")).isEqualTo(" (1 more since the last one logged, not logged)");
    }

    @Test
    void aRestartMakesTheNextLineWaitAWholeInterval() {
        final LinePace pace = new LinePace(10_000);
        pace.due(0);
        assertThat(pace.untilDue(4_000)).isEqualTo(6_000);
        pace.restart(9_000);
        assertThat(pace.untilDue(9_000)).isEqualTo(10_000);
        assertThat(pace.due(18_999)).isFalse();
        assertThat(pace.due(19_000)).isTrue();
        assertThat(pace.untilDue(40_000)).isZero();
    }

    @Test
    void thoseLeftOutAfterTheLastLineAreSaidWhenTheIntervalEndsThoughNoEventFollows() throws Exception {
        final java.util.concurrent.LinkedBlockingQueue<Long> tails = new java.util.concurrent.LinkedBlockingQueue<>();
        final LinePace pace = new LinePace(200, tails::add);
        final long now = System.currentTimeMillis();
        assertThat(pace.due(now)).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThat(pace.due(now + 10)).isFalse();
        }

        assertThat(tails.poll(5, java.util.concurrent.TimeUnit.SECONDS)).as("the tail, at the interval's end")
            .isEqualTo(3L);
        assertThat(pace.leftOutSaid("")).as("said once").isEmpty();
    }

    @Test
    void aLineThatSaysThoseLeftOutLeavesTheTailNothingToSay() throws Exception {
        final java.util.concurrent.LinkedBlockingQueue<Long> tails = new java.util.concurrent.LinkedBlockingQueue<>();
        final LinePace pace = new LinePace(200, tails::add);
        final long now = System.currentTimeMillis();
        pace.due(now);
        pace.due(now + 1); // left out: a tail is due at now + 200
        assertThat(pace.due(now + 200)).isTrue();
        assertThat(pace.leftOutSaid("")).isEqualTo(" (1 more since the last one logged, not logged)");

        pace.flush(); // what a stop does: nothing left to say
        assertThat(tails.poll(600, java.util.concurrent.TimeUnit.MILLISECONDS)).as("no tail").isNull();
    }

    @Test
    void manyThreadsAtOnceLetExactlyOneLineOutAndLoseNoCount() throws Exception {
        final LinePace pace = new LinePace(1000);
        final int threads = 4;
        final int each = 50_000;
        final AtomicInteger out = new AtomicInteger();
        final CyclicBarrier start = new CyclicBarrier(threads);
        final Thread[] workers = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            workers[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < each; i++) {
                    if (pace.due(5_000)) { // one instant: one line, whoever comes first
                        out.incrementAndGet();
                    }
                }
            });
            workers[t].start();
        }
        for (final Thread worker : workers) {
            worker.join();
        }
        assertThat(out.get()).isEqualTo(1);
        assertThat(pace.leftOut()).isEqualTo(threads * each - 1L);
    }
}
