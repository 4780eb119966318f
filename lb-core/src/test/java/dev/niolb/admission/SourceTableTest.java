package dev.niolb.admission;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class SourceTableTest {
    private static final long MS = 1_000_000L;

    private static InetAddress ip(final String s) throws Exception {
        return InetAddress.getByName(s);
    }

    /** 127.x.y.z for the n-th source, n from 0: distinct for n below 2^24. */
    private static InetAddress loopback(final int n) throws Exception {
        return InetAddress.getByAddress(new byte[]{127, (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
    }

    @Test
    void theTableNeverHoldsMoreSourcesThanItsSizeWhateverComes() throws Exception {
        final Admission admission = new Admission(AccessList.OPEN, 2, 0, 1, 1024);
        final SourceTable table = admission.sources();

        for (int n = 0; n < 5_000; n++) {
            assertThat(admission.admit(loopback(n), n * MS)).isEqualTo(Admission.Verdict.OK);
            assertThat(table.size()).isLessThanOrEqualTo(1024);
        }

        assertThat(table.size()).isEqualTo(1024);
        assertThat(table.evictions()).isEqualTo(5_000 - 1024);
        assertThat(table.contains(loopback(4_999))).isTrue(); // the most recent are remembered
    }

    @Test
    void theLeastRecentlySeenSourceIsForgottenFirst() throws Exception {
        final SourceTable table = new SourceTable(4, 1);
        for (final String s : List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4")) {
            table.acquire(ip(s), 0, 0, 1, 1);
            table.release(ip(s));
        }
        table.acquire(ip("10.0.0.1"), 0, 0, 1, 1); // seen again: now the most recent
        table.acquire(ip("10.0.0.5"), 0, 0, 1, 1);

        assertThat(table.contains(ip("10.0.0.2"))).isFalse();
        assertThat(table.contains(ip("10.0.0.1"))).isTrue();
        assertThat(table.contains(ip("10.0.0.5"))).isTrue();
        assertThat(table.size()).isEqualTo(4);
    }

    @Test
    void aSourceWithConnectionsOpenOutlivesIdleOnesWhenTheTableIsFull() throws Exception {
        final SourceTable table = new SourceTable(4, 1);
        table.acquire(ip("10.0.0.1"), 0, 5, 0, 1); // the oldest, with a connection open
        for (final String s : List.of("10.0.0.2", "10.0.0.3", "10.0.0.4")) {
            table.acquire(ip(s), 0, 5, 0, 1);
            table.release(ip(s));
        }
        table.acquire(ip("10.0.0.5"), 0, 5, 0, 1);

        assertThat(table.contains(ip("10.0.0.1"))).isTrue();
        assertThat(table.open(ip("10.0.0.1"))).isEqualTo(1);
        assertThat(table.contains(ip("10.0.0.2"))).isFalse();
    }

    @Test
    void aSourceAtItsMaximumIsRefusedUntilOneOfItsConnectionsCloses() throws Exception {
        final Admission admission = new Admission(AccessList.OPEN, 2, 0, 1, 64);
        final InetAddress a = ip("192.0.2.1");

        assertThat(admission.admit(a, 0)).isEqualTo(Admission.Verdict.OK);
        assertThat(admission.admit(a, 0)).isEqualTo(Admission.Verdict.OK);
        assertThat(admission.admit(a, 0)).isEqualTo(Admission.Verdict.SOURCE_LIMIT);
        admission.release(a);
        assertThat(admission.admit(a, 0)).isEqualTo(Admission.Verdict.OK);
    }

    @Test
    void oneSourceAtItsLimitDoesNotHoldBackAnother() throws Exception {
        final Admission admission = new Admission(AccessList.OPEN, 1, 0, 1, 64);

        assertThat(admission.admit(ip("127.0.0.2"), 0)).isEqualTo(Admission.Verdict.OK);
        assertThat(admission.admit(ip("127.0.0.2"), 0)).isEqualTo(Admission.Verdict.SOURCE_LIMIT);
        assertThat(admission.admit(ip("127.0.0.3"), 0)).isEqualTo(Admission.Verdict.OK);
    }

    @Test
    void theBucketAllowsItsBurstThenOneConnectionPerIntervalAsItRefills() throws Exception {
        // 10/s with a burst of 3: three at once, then one every 100 ms
        final Admission admission = new Admission(AccessList.OPEN, 0, 100 * MS, 3, 64);
        final InetAddress a = ip("192.0.2.1");
        final long t0 = 1_000_000 * MS;

        for (int i = 0; i < 3; i++) {
            assertThat(admission.admit(a, t0)).isEqualTo(Admission.Verdict.OK);
        }
        assertThat(admission.admit(a, t0)).isEqualTo(Admission.Verdict.SOURCE_RATE);
        assertThat(admission.admit(a, t0 + 99 * MS)).isEqualTo(Admission.Verdict.SOURCE_RATE);
        assertThat(admission.admit(a, t0 + 100 * MS)).isEqualTo(Admission.Verdict.OK);
        assertThat(admission.admit(a, t0 + 100 * MS)).isEqualTo(Admission.Verdict.SOURCE_RATE);
        // a long quiet spell refills the bucket to its burst, not beyond
        final long later = t0 + 60_000 * MS;
        for (int i = 0; i < 3; i++) {
            assertThat(admission.admit(a, later)).isEqualTo(Admission.Verdict.OK);
        }
        assertThat(admission.admit(a, later)).isEqualTo(Admission.Verdict.SOURCE_RATE);
    }

    @Test
    void aConnectionRefusedForTheOpenLimitTakesNoToken() throws Exception {
        final Admission admission = new Admission(AccessList.OPEN, 1, 100 * MS, 2, 64);
        final InetAddress a = ip("192.0.2.1");

        assertThat(admission.admit(a, 0)).isEqualTo(Admission.Verdict.OK);
        for (int i = 0; i < 10; i++) {
            assertThat(admission.admit(a, 0)).isEqualTo(Admission.Verdict.SOURCE_LIMIT);
        }
        admission.release(a);
        assertThat(admission.admit(a, 0)).isEqualTo(Admission.Verdict.OK); // the second token was still there
    }

    @Test
    void ipv6SourcesAreCountedByTheirSlash64() throws Exception {
        final Admission admission = new Admission(AccessList.OPEN, 2, 0, 1, 64);

        assertThat(admission.admit(ip("2001:db8:1:2::1"), 0)).isEqualTo(Admission.Verdict.OK);
        assertThat(admission.admit(ip("2001:db8:1:2:ffff::9"), 0)).isEqualTo(Admission.Verdict.OK);
        assertThat(admission.admit(ip("2001:db8:1:2:abcd::7"), 0)).isEqualTo(Admission.Verdict.SOURCE_LIMIT);
        assertThat(admission.admit(ip("2001:db8:1:3::1"), 0)).isEqualTo(Admission.Verdict.OK);
        // and never mixed up with an IPv4 source
        assertThat(admission.admit(ip("0.0.0.0"), 0)).isEqualTo(Admission.Verdict.OK);
    }

    @Test
    void theTableAgreesWithAnExactLeastRecentlyUsedModelOverManyRandomOperations() throws Exception {
        // one segment and idle sources only, so the victim is exactly the least recent, as in an access-ordered map
        final int capacity = 50;
        final SourceTable table = new SourceTable(capacity, 1);
        final Map<Integer, Boolean> model = new LinkedHashMap<>(16, 0.75f, true);
        final SplittableRandom random = new SplittableRandom(11);

        for (int step = 0; step < 100_000; step++) {
            final int n = random.nextInt(200);
            final InetAddress source = loopback(n);
            if (random.nextInt(3) > 0) {
                table.acquire(source, 0, 0, 0, 1);
                table.release(source);
                if (!model.containsKey(n) && model.size() == capacity) {
                    model.remove(model.keySet().iterator().next());
                }
                model.put(n, true);
            } else {
                assertThat(table.contains(source)).as("source %d at step %d", n, step).isEqualTo(model.containsKey(n));
            }
        }
        for (int k = 0; k < 200; k++) {
            assertThat(table.contains(loopback(k))).as("source %d", k).isEqualTo(model.containsKey(k));
        }
        assertThat(table.size()).isEqualTo(model.size());
    }

    @Test
    void countsStayExactWhenLoopsAdmitAndReleaseAtTheSameTime() throws Exception {
        final Admission admission = new Admission(AccessList.OPEN, 1_000_000, 0, 1, 256);
        final int threads = 4;
        final CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            final List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                final int seed = t;
                done.add(pool.submit(() -> {
                    go.await();
                    final SplittableRandom random = new SplittableRandom(seed);
                    for (int i = 0; i < 50_000; i++) {
                        final InetAddress a = loopback(random.nextInt(100));
                        assertThat(admission.admit(a, 0)).isEqualTo(Admission.Verdict.OK);
                        admission.release(a);
                    }
                    return null;
                }));
            }
            go.countDown();
            for (final Future<?> f : done) {
                f.get();
            }
        }
        for (int n = 0; n < 100; n++) {
            assertThat(admission.sources().open(loopback(n))).isZero();
        }
    }

    @Test
    void admittingAKnownSourceAllocatesNothing() throws Exception {
        final Admission admission = new Admission(AccessList.OPEN, 10, MS, 10, 1024);
        final InetAddress[] sources = new InetAddress[100];
        for (int n = 0; n < sources.length; n++) {
            sources[n] = loopback(n);
        }
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long now = 0;
        for (int i = 0; i < 10_000; i++, now += MS) { // warm up
            admission.admit(sources[i % 100], now);
            admission.release(sources[i % 100]);
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++, now += MS) {
            admission.admit(sources[i % 100], now);
            admission.release(sources[i % 100]);
        }
        assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes for 100k admissions").isLessThan(1_000);
    }
}
