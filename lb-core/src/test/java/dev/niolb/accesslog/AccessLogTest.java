package dev.niolb.accesslog;

import dev.niolb.config.AccessLogFormat;
import dev.niolb.config.Protocol;
import dev.niolb.session.Termination;
import dev.niolb.testing.Await;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class AccessLogTest {
    private static final AccessRecord RECORD = new AccessRecord(0, Protocol.TCP, new InetSocketAddress("127.0.0.1", 1),
        "l", "g", "s", 1, 1, 0, 0, 0, Termination.CLIENT_CLOSE);

    @Test
    void aStalledSinkDropsAndCountsInsteadOfHoldingTheLoop() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> lines = new CopyOnWriteArrayList<>();
        final AccessLog log = AccessLog.start(AccessLogFormat.PLAIN, 2, line -> {
            try {
                release.await(); // a disk that does not take writes
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            lines.add(line);
        });
        final int offered = AccessLog.QUEUE_CAPACITY + 500;
        final long start = System.nanoTime();
        for (int i = 0; i < offered; i++) {
            log.offer(0, RECORD);
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(tookMs).as("offering never waits for the sink").isLessThan(2_000);
        assertThat(log.offered()).isEqualTo(offered);
        // the writer holds at most one record out of the queue while it is stuck in the sink
        assertThat(log.dropped()).isBetween(499L, 500L);
        release.countDown();
        log.close();
        assertThat(lines).hasSize((int) (offered - log.dropped()));
    }

    @Test
    void closeGivesUpOnASinkThatTakesNothingInsteadOfHoldingTheStop() throws Exception {
        final CountDownLatch never = new CountDownLatch(1);
        final AccessLog log = AccessLog.start(AccessLogFormat.PLAIN, 1, line -> {
            try {
                never.await(); // a standard output nobody reads: the write never returns
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 10; i++) {
            log.offer(0, RECORD);
        }
        final java.util.concurrent.CompletableFuture<Void> closed =
            java.util.concurrent.CompletableFuture.runAsync(log::close);
        try {
            // it waited 5 s before; now half a second without progress ends the wait
            closed.get(AccessLog.STALL_MS * 5, TimeUnit.MILLISECONDS);
            assertThat(never.getCount()).as("the sink is still stuck").isEqualTo(1);
        } finally {
            never.countDown();
        }
    }

    @Test
    void closeWritesWhatIsStillQueued() {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final AccessLog log = AccessLog.start(AccessLogFormat.JSON, 1, lines::add);
        for (int i = 0; i < 1000; i++) {
            log.offer(0, RECORD);
        }
        log.close();
        assertThat(lines).hasSize(1000).allMatch(l -> l.startsWith("{\"time\":"));
        assertThat(log.dropped()).isZero();
    }

    @Test
    void offIsDisabledAndIgnoresRecords() {
        final AccessLog log = AccessLog.start(AccessLogFormat.OFF, 4, line -> { });
        assertThat(log).isSameAs(AccessLog.OFF);
        assertThat(log.enabled()).isFalse();
        log.offer(0, RECORD);
        assertThat(log.offered()).isZero();
        log.close();
    }

    /** An idle niolb's access log costs no wake-ups: its writer sleeps until a loop hands it the next record. */
    @Test
    void anIdleWriterSleepsUntilTheNextRecordWakesIt() throws Exception {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final AccessLog log = AccessLog.start(AccessLogFormat.PLAIN, 2, lines::add);
        try {
            for (int round = 1; round <= 20; round++) {
                Await.until(() -> log.writerState() == Thread.State.WAITING, 10_000);
                log.offer(round % 2, RECORD);
                final int expected = round;
                Await.until(() -> lines.size() == expected, 10_000);
            }
        } finally {
            log.close();
        }
        assertThat(lines).hasSize(20);
    }
}
