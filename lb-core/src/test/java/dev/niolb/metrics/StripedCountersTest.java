package dev.niolb.metrics;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StripedCountersTest {
    @Test
    void aSumAddsEveryStripe() {
        final StripedCounters c = new StripedCounters(3, 4);
        c.add(0, 1, 5);
        c.add(3, 1, 7);
        c.add(2, 0, 1);
        assertThat(c.sum(1)).isEqualTo(12);
        assertThat(c.sum(0)).isEqualTo(1);
        assertThat(c.get(3, 1)).isEqualTo(7);
    }

    @Test
    void oneWriterPerStripeLosesNoIncrementsUnderConcurrency() throws Exception {
        final int writers = 4;
        final int each = 200_000;
        final StripedCounters c = new StripedCounters(1, writers);
        final CountDownLatch go = new CountDownLatch(1);
        final Thread[] threads = new Thread[writers];
        for (int w = 0; w < writers; w++) {
            final int stripe = w;
            threads[w] = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (final InterruptedException e) {
                    return;
                }
                for (int i = 0; i < each; i++) {
                    c.add(stripe, 0, 1);
                }
            });
        }
        go.countDown();
        for (final Thread t : threads) {
            t.join();
        }
        assertThat(c.sum(0)).isEqualTo((long) writers * each);
    }

    @Test
    void aFieldOutsideTheLayoutIsRejected() {
        final StripedCounters c = new StripedCounters(2, 1);
        assertThatThrownBy(() -> c.add(0, 2, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> c.add(1, 0, 1)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
