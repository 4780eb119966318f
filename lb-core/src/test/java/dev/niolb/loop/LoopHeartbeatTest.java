package dev.niolb.loop;

import dev.niolb.testing.RunningLoop;
import dev.niolb.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What a running.loop() publishes for {@code /metrics}: its heartbeat, how long it has been busy, the failures it caught. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class LoopHeartbeatTest {
    @RegisterExtension
    final RunningLoop running = new RunningLoop(1);

    @Test
    void aLoopStuckInACommandShowsHowLongItHasBeenBusyAndAnIdleOneShowsZero() throws Exception {
        final LoopHeartbeat h = running.loop().heartbeat();
        Await.until(() -> h.iterations() > 0 && h.busyNanos(System.nanoTime()) == 0, 5000); // waiting in select
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch entered = new CountDownLatch(1);
        running.loop().execute(() -> {
            entered.countDown();
            try {
                release.await(); // a handler stuck in a blocking call
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
        final long stuckAt = h.iterations();
        Await.until(() -> h.busyNanos(System.nanoTime()) >= TimeUnit.MILLISECONDS.toNanos(300), 5000);
        assertThat(h.iterations()).as("no heartbeat while stuck").isEqualTo(stuckAt);
        release.countDown();
        Await.until(() -> h.iterations() > stuckAt && h.busyNanos(System.nanoTime()) == 0, 5000);
    }

    @Test
    void aCommandThatThrowsIsCountedAndTheLoopGoesOn() throws Exception {
        final LoopHeartbeat h = running.loop().heartbeat();
        assertThat(h.errors()).isZero();
        running.loop().execute(() -> {
            throw new IllegalStateException("a bug in a command (this exception is expected by the test)");
        });
        final CountDownLatch after = new CountDownLatch(1);
        running.loop().execute(after::countDown);
        assertThat(after.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(h.errors()).isEqualTo(1);
        assertThat(h.index()).isEqualTo(1);
    }
}
