package dev.niolb.loop;

import dev.niolb.config.TransportChoice;
import dev.niolb.testing.RunningLoop;
import dev.niolb.transport.Transports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class EventLoopTest {
    @RegisterExtension
    final RunningLoop running = new RunningLoop(3);

    @Test
    void executeRunsTheCommandOnTheLoopsOwnThread() throws Exception {
        final AtomicReference<String> thread = new AtomicReference<>();
        final CountDownLatch ran = new CountDownLatch(1);
        running.loop().execute(() -> {
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
        running.loop().execute(() -> {
            scheduledAt[0] = running.loop().nowMs();
            running.loop().schedule(running.loop().nowMs() + 150, now -> {
                firedAfterMs[0] = now - scheduledAt[0];
                onLoop[0] = running.loop().inLoop();
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
        running.loop().execute(() -> {
            final LoopTimer cancelled = running.loop().schedule(running.loop().nowMs() + 50, now -> fired.add("cancelled"));
            running.loop().schedule(running.loop().nowMs() + 200, now -> {
                fired.add("kept");
                later.countDown();
            });
            cancelled.cancel();
        });
        assertThat(later.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(fired).containsExactly("kept");
    }

    @Test
    void timersFireInDeadlineOrderEvenAfterTheLoopSlept() throws Exception {
        Thread.sleep(300); // the running.loop() blocks with no timers; the wheel must not fall behind the clock
        final List<Integer> order = new CopyOnWriteArrayList<>();
        final CountDownLatch done = new CountDownLatch(3);
        running.loop().execute(() -> {
            for (final int delay : new int[]{120, 40, 80}) {
                running.loop().schedule(running.loop().nowMs() + delay, now -> {
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
        assertThat(running.loop().submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS))
            .isEqualTo("niolb-loop-3");
    }

    @Test
    void aFailingCommandDoesNotStopTheLoop() throws Exception {
        running.loop().execute(() -> {
            throw new IllegalStateException("boom (expected by the test)");
        });
        assertThat(running.loop().submit(() -> 42).get(5, TimeUnit.SECONDS)).isEqualTo(42);
    }

    @Test
    void sessionIdsCarryTheLoopIndex() throws Exception {
        final long id = running.loop().submit(running.loop()::nextSessionId).get(5, TimeUnit.SECONDS);
        assertThat(id >>> 48).isEqualTo(3);
    }

    @Test
    void anotherThreadCannotTouchWhatOnlyTheLoopWrites() {
        // a reload's thread once took a buffer pool from a running loop's map: now it is refused, not a race
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> running.loop().bufferPool(4096))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("bufferPool called from " + Thread.currentThread().getName());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> running.loop().schedule(running.loop().nowMs() + 1000, now -> { }))
            .isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"NIO", "EPOLL"})
    void anIdleLoopWithATimerArmedSleepsUntilItIsDueRatherThanWakingEveryTick(final TransportChoice transport)
        throws Exception {
        final EventLoop loop = new EventLoop(5, Transports.of(transport));
        loop.start();
        try {
            final long[] iterationsAtArming = new long[1];
            final long[] iterationsAtFiring = new long[1];
            final CountDownLatch fired = new CountDownLatch(1);
            loop.execute(() -> {
                iterationsAtArming[0] = loop.heartbeat().iterations();
                loop.schedule(loop.nowMs() + 1000, now -> {
                    iterationsAtFiring[0] = loop.heartbeat().iterations();
                    fired.countDown();
                });
            });
            assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
            // waking at every tick would be 125 iterations; a spurious wake-up or one early return is not
            assertThat(iterationsAtFiring[0] - iterationsAtArming[0]).isLessThanOrEqualTo(3);
        } finally {
            loop.stop();
            assertThat(loop.awaitTermination(10_000)).isTrue();
        }
    }
}
