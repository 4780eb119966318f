package dev.niolb.cli.systemd;

import dev.niolb.loop.EventLoop;
import dev.niolb.testing.RunningLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class SystemdWatchdogTest {
    private static final long LIMIT_NANOS = 50_000_000;

    @RegisterExtension
    final RunningLoop running = new RunningLoop(3);

    @Test
    void theWatchdogIntervalIsTakenFromWatchdogUsecWhenItsPidIsOursOrUnset() {
        assertThat(SystemdWatchdog.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000"), 42)).isEqualTo(30_000_000);
        assertThat(SystemdWatchdog.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42))
            .isEqualTo(30_000_000);
    }

    @Test
    void aWatchdogMeantForAnotherProcessOrNoneAtAllIsOff() {
        assertThat(SystemdWatchdog.watchdogMicros(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "7"), 42))
            .isZero();
        assertThat(SystemdWatchdog.watchdogMicros(Map.of(), 42)).isZero();
        assertThat(SystemdWatchdog.watchdogMicros(Map.of("WATCHDOG_USEC", "soon"), 42)).isZero();
    }

    @Test
    void aWatchdogOfAMillisecondIsPingedAtMostEveryMillisecondNotSpunOn() {
        assertThat(SystemdWatchdog.pingEveryMicros(1_000)).isEqualTo(1_000);
        assertThat(SystemdWatchdog.pingEveryMicros(4_000_000)).isEqualTo(2_000_000);
        assertThat(SystemdWatchdog.pingEveryMicros(30_000_000)).isEqualTo(5_000_000);
    }

    @Test
    void aWatchdogVariableThatIsNoNumberIsNamedAloneNotBesideOneThatIsUnset() {
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.run")) {
            assertThat(SystemdWatchdog.watchdogMicros(Map.of("WATCHDOG_USEC", "abc"), 42)).isZero();
            assertThat(log.messages()).containsExactly("systemd watchdog off: WATCHDOG_USEC=abc is not a number");
        }
    }

    @Test
    void anIdleLoopWaitingInItsPollIsNotWedged() throws Exception {
        final EventLoop loop = running.loop();
        loop.submit(() -> true).get(); // it has run an iteration and gone back to its poll
        Thread.sleep(2 * LIMIT_NANOS / 1_000_000); // idle for longer than the limit: that is the case tested

        assertThat(SystemdWatchdog.wedged(List.of(loop), System.nanoTime(), LIMIT_NANOS)).isNull();
    }

    @Test
    void aLoopStuckInOneIterationIsWedgedUntilItComesBack() throws Exception {
        final EventLoop loop = running.loop();
        final CountDownLatch stuck = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> {
            stuck.countDown();
            try {
                release.await(); // a handler stuck: the loop serves nothing meanwhile
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stuck.await();
        String wedged;
        while ((wedged = SystemdWatchdog.wedged(List.of(loop), System.nanoTime(), LIMIT_NANOS)) == null) {
            Thread.onSpinWait();
        }
        assertThat(wedged).startsWith("event loop 3 has been busy in one iteration for ");

        release.countDown();
        loop.submit(() -> true).get();
        while (loop.heartbeat().busyNanos(System.nanoTime()) != 0) {
            Thread.onSpinWait(); // back in its poll
        }
        assertThat(SystemdWatchdog.wedged(List.of(loop), System.nanoTime(), LIMIT_NANOS)).isNull();
    }
}
