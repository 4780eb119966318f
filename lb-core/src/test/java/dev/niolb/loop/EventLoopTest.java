package dev.niolb.loop;

import dev.niolb.transport.nio.NioTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class EventLoopTest {
    private EventLoop loop;

    @BeforeEach
    void startLoop() throws Exception {
        loop = new EventLoop(3, NioTransport.INSTANCE);
        loop.start();
    }

    @AfterEach
    void stopLoop() throws Exception {
        loop.stop();
        assertThat(loop.awaitTermination(5000)).isTrue();
    }

    @Test
    void executeRunsTheCommandOnTheLoopsOwnThread() throws Exception {
        final AtomicReference<String> thread = new AtomicReference<>();
        final CountDownLatch ran = new CountDownLatch(1);
        loop.execute(() -> {
            thread.set(Thread.currentThread().getName());
            ran.countDown();
        });
        assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(thread.get()).isEqualTo("niolb-loop-3");
    }

    @Test
    void aScheduledTimeoutFiresAfterItsDeadlineOnTheLoopThread() throws Exception {
        final CountDownLatch fired = new CountDownLatch(1);
        final long[] firedAfterMs = new long[1];
        final long[] scheduledAt = new long[1];
        final boolean[] onLoop = new boolean[1];
        loop.execute(() -> {
            scheduledAt[0] = loop.nowMs();
            loop.schedule(loop.nowMs() + 150, (id, now) -> {
                firedAfterMs[0] = now - scheduledAt[0];
                onLoop[0] = loop.inLoop();
                fired.countDown();
            });
        });
        assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(firedAfterMs[0]).isBetween(150L, 1000L);
        assertThat(onLoop[0]).isTrue();
    }

    @Test
    void aCancelledTimeoutNeverFires() throws Exception {
        final List<String> fired = new CopyOnWriteArrayList<>();
        final CountDownLatch later = new CountDownLatch(1);
        loop.execute(() -> {
            final long cancelled = loop.schedule(loop.nowMs() + 50, (id, now) -> fired.add("cancelled"));
            loop.schedule(loop.nowMs() + 200, (id, now) -> {
                fired.add("kept");
                later.countDown();
            });
            loop.cancel(cancelled);
        });
        assertThat(later.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(fired).containsExactly("kept");
    }

    @Test
    void timersFireInDeadlineOrderEvenAfterTheLoopSlept() throws Exception {
        Thread.sleep(300); // the loop blocks with no timers; the wheel must not fall behind the clock
        final List<Integer> order = new CopyOnWriteArrayList<>();
        final CountDownLatch done = new CountDownLatch(3);
        loop.execute(() -> {
            for (final int delay : new int[]{120, 40, 80}) {
                loop.schedule(loop.nowMs() + delay, (id, now) -> {
                    order.add(delay);
                    done.countDown();
                });
            }
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(order).containsExactly(40, 80, 120);
    }

    @Test
    void submitReturnsAValueComputedOnTheLoop() throws Exception {
        assertThat(loop.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS))
            .isEqualTo("niolb-loop-3");
    }

    @Test
    void aFailingCommandDoesNotStopTheLoop() throws Exception {
        loop.execute(() -> {
            throw new IllegalStateException("boom (expected by the test)");
        });
        assertThat(loop.submit(() -> 42).get(5, TimeUnit.SECONDS)).isEqualTo(42);
    }

    @Test
    void sessionIdsCarryTheLoopIndex() throws Exception {
        final long id = loop.submit(loop::nextSessionId).get(5, TimeUnit.SECONDS);
        assertThat(id >>> 48).isEqualTo(3);
    }

    @Test
    void anotherThreadCannotTouchWhatOnlyTheLoopWrites() {
        // a reload's thread once took a buffer pool from a running loop's map: now it is refused, not a race
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> loop.bufferPool(4096))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("bufferPool called from " + Thread.currentThread().getName());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> loop.schedule(loop.nowMs() + 1000, (id, now) -> { }))
            .isInstanceOf(IllegalStateException.class);
    }
}
