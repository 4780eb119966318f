package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.backend.Server;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LeastTimeAndBoundedLoadTest {

    @Test
    void leasttimeSendsFewerSessionsToTheServerThatConnectsSlowly() {
        final Server[] servers = TestServers.equal(2);
        for (int i = 0; i < 20; i++) {
            servers[0].connectSucceeded(0, 200_000);    // 0.2 ms
            servers[1].connectSucceeded(0, 5_000_000);  // 5 ms
        }
        final int[] counts = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(counts[0]).isEqualTo(1000); // equal loads: the faster always wins the draw
        TestServers.setActive(servers[0], 30);
        final int[] loaded = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(loaded[1]).as("active sessions weigh in: 31 x 1.2 ms > 1 x 6 ms").isEqualTo(1000);
    }

    @Test
    void aServerMeasuredSlowOnceIsTriedAgainOnceThatMeasurementHasAged() {
        final Server[] servers = TestServers.equal(2);
        final long now = System.nanoTime();
        measured(servers[1], 100_000, now); // 0.1 ms, just now
        measured(servers[0], 42_000_000, now); // 42 ms, twice in a row: slow
        assertThat(TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 100, 0)[0])
            .as("measured slow just now").isZero();

        final Server[] later = TestServers.equal(2);
        measured(later[1], 100_000, now);
        measured(later[0], 42_000_000, now - 20_000_000_000L); // the same, 20 s ago: 2^20 times less
        assertThat(TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, later, 1), 2, 100, 0)[0])
            .as("tried again, to be measured afresh").isPositive();
        assertThat(later[0].connectNanosEwma(now + 1_000_000_000L - 20_000_000_000L)).as("halved each 250 ms")
            .isEqualTo(42_000_000 >> 4);

        later[0].connectSucceeded(0, 100_000, now); // measured afresh: 0.1 ms
        assertThat(later[0].connectNanosEwma(now)).as("the fresh sample, not one slow sample 20 s old, decides")
            .isLessThan(200_000);
    }

    @Test
    void connectTimesThatDifferByJitterAloneCountAsEqualAndTheDrawIsLeastConnections() {
        final Server[] servers = TestServers.equal(2);
        final long now = System.nanoTime();
        measured(servers[0], 100_000, now); // 0.10 ms
        measured(servers[1], 120_000, now); // 0.12 ms: the same loopback, another moment
        final int[] idle = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(idle[1]).as("not starved by 20 µs").isBetween(400, 600);
        TestServers.setActive(servers[0], 3);
        final int[] busy = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(busy[1]).as("fewer sessions wins, as leastconn").isEqualTo(1000);
    }

    @Test
    void connectTimesATenthOfAMillisecondApartOnOneNetworkCountAsEqual() {
        final Server[] servers = TestServers.equal(2);
        final long now = System.nanoTime();
        measured(servers[0], 220_000, now); // drawn at every connect: warm
        measured(servers[1], 340_000, now); // drawn seldom: the same loopback, colder
        final int[] idle = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(idle[1]).as("with a 50 us floor 0.34 ms lost every draw").isBetween(400, 600);
    }

    @Test
    void aSlowFirstConnectAloneCountsForNothingAndTheServerKeepsItsShare() {
        final Server[] servers = TestServers.equal(2);
        final long now = System.nanoTime();
        measured(servers[0], 1_000_000, now); // 1 ms, warm
        servers[1].connectSucceeded(0, 13_600_000, now); // 13.6 ms: its first, at niolb's cold start
        final int[] idle = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(idle[1]).as("taken alone, it got 1 session of 50").isBetween(400, 600);

        servers[1].connectSucceeded(0, 13_600_000, now); // and slow again: slow
        assertThat(TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0)[1])
            .isZero();
    }

    @Test
    void aFirstConnectThatWaitedForASynRetransmissionCountsAtOnce() {
        final Server[] servers = TestServers.equal(2);
        final long now = System.nanoTime();
        measured(servers[0], 1_000_000, now);
        servers[1].connectSucceeded(0, 1_000_000_000L, now); // 1 s: its SYN was sent twice
        assertThat(TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0)[1])
            .isZero();
    }

    @Test
    void oneSlowConnectAmongFastOnesCountsAsTheLoopsDelayAndTheServerKeepsItsShare() {
        final Server[] servers = measuredAlike(300_000); // 0.3 ms, the same loopback
        final long now = System.nanoTime();
        servers[1].connectSucceeded(0, 20_000_000, now); // 20 ms once: the loop preempted on a loaded machine
        final int[] idle = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(idle[1]).as("folded in, it kept the server out for over a second").isBetween(400, 600);
    }

    @Test
    void twoSlowConnectsInARowTakeAServerOut() {
        final Server[] servers = measuredAlike(300_000);
        final long now = System.nanoTime();
        servers[1].connectSucceeded(0, 20_000_000, now);
        servers[1].connectSucceeded(0, 20_000_000, now);
        final int[] idle = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(idle[1]).as("slow from one connect to the next: the server is slow").isZero();
    }

    @Test
    void aServerMeasuredAfreshAfterALongWaitIsAsSlowAsItsFreshConnect() {
        final Server[] servers = TestServers.equal(2);
        final long now = System.nanoTime();
        measured(servers[0], 1_000_000, now); // 1 ms, measured at every connect
        measured(servers[1], 5_000_000, now - 1_000_000_000L); // 5 ms, a second ago: aged to 1/16
        servers[1].connectSucceeded(0, 5_000_000, now); // and 5 ms again now
        assertThat(servers[1].connectNanosEwma(now)).as("not a blend of 5 ms with what age left of the old one")
            .isEqualTo(5_000_000);
        final int[] idle = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 1000, 0);
        assertThat(idle[1]).as("6 ms against 2 (with the floor): slower").isZero();
    }

    @Test
    void aServerMeasuredSlowOnceAtStartIsTriedAgainWithinThreeSecondsEvenWithNoSessionsOpen() {
        final Server[] servers = TestServers.equal(2);
        final long now = System.nanoTime();
        measured(servers[1], 100_000, now);
        measured(servers[0], 29_000_000, now - 3_000_000_000L); // 29 ms twice, 3 s ago
        assertThat(TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 1), 2, 100, 0)[0])
            .as("tried again").isPositive();
    }

    @Test
    void lightServersMeasuredRarelyAreNotTakenForFasterThanTheHeavyOneAndGetTheirWeightsShare() {
        final Server[] servers = TestServers.withWeights(10, 1, 1);
        final long now = System.nanoTime();
        measured(servers[0], 30_000, now); // drawn at nearly every connect: measured just now
        measured(servers[1], 30_000, now - 3_000_000_000L); // the same loopback, last drawn 3 s ago
        measured(servers[2], 30_000, now - 3_000_000_000L);
        final int[] counts = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 5), 3, 12_000, 0);
        assertThat(counts[1]).as("a twelfth of 12,000 each, as leastconn").isBetween(700, 1300);
        assertThat(counts[2]).isBetween(700, 1300);
    }

    @Test
    void aServerNeverMeasuredCountsAsLikeTheOtherDrawn() {
        final Server[] servers = TestServers.equal(2);
        measured(servers[0], 5_000_000, System.nanoTime()); // 5 ms, far away
        final int[] idle = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 3), 2, 1000, 0);
        assertThat(idle[1]).as("no time of its own: neither faster nor slower").isBetween(400, 600);
        TestServers.setActive(servers[0], 1);
        final int[] busy = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 3), 2, 1000, 0);
        assertThat(busy[1]).as("fewer sessions wins, as leastconn").isEqualTo(1000);
    }

    @Test
    void twoServersMeasuredAWhileAgoKeepTheirOrderUntilTheirTimesHaveDriftedTogether() {
        final long now = System.nanoTime();
        final Server[] halfASecond = TestServers.equal(2);
        measured(halfASecond[0], 10_000_000, now - 500_000_000L); // 10 ms, half a second ago
        measured(halfASecond[1], 1_000_000, now - 500_000_000L); // 1 ms, as long ago
        final int[] counts = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, halfASecond, 1), 2, 1000,
            0);
        assertThat(counts[1]).as("aged alike, the faster stays the faster").isEqualTo(1000);

        final Server[] twoSeconds = TestServers.equal(2);
        measured(twoSeconds[0], 10_000_000, now - 2_000_000_000L);
        measured(twoSeconds[1], 1_000_000, now - 2_000_000_000L);
        final int[] even = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, twoSeconds, 1), 2, 1000, 0);
        assertThat(even[1]).as("2 s on, too little is left of either to tell them apart: leastconn")
            .isBetween(400, 600);
    }

    @Test
    void leasttimeWithoutMeasurementsIsLeastConnections() {
        final Server[] servers = TestServers.equal(3);
        TestServers.setActive(servers[0], 5);
        TestServers.setActive(servers[1], 5);
        final int[] counts = TestServers.countPicks(Balancers.create(Algorithm.LEASTTIME, servers, 7), 3, 300, 0);
        assertThat(counts[2]).isGreaterThan(counts[0] + counts[1]);
    }

    /**
     * {@code server} measured at {@code nanos} twice at {@code atNanos}: a loop's first connect to a server alone
     * folds in nothing (it is compared with the next; see ServerCounters#recordConnectNanos).
     */
    private static void measured(final Server server, final long nanos, final long atNanos) {
        server.connectSucceeded(0, nanos, atNanos);
        server.connectSucceeded(0, nanos, atNanos);
    }

    /** Two equal servers, each measured ten times at {@code nanos} just now. */
    private static Server[] measuredAlike(final long nanos) {
        final Server[] servers = TestServers.equal(2);
        final long now = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            servers[0].connectSucceeded(0, nanos, now);
            servers[1].connectSucceeded(0, nanos, now);
        }
        return servers;
    }

    @Test
    void boundedLoadMaglevMovesNewClientsOffAnOverloadedServerAndBackWhenItCalms() {
        final Server[] servers = TestServers.equal(4);
        final MaglevTable table = MaglevTable.build(servers);
        final Balancer bounded = Balancers.source(table, 125);
        final Balancer plain = Balancers.source(table);
        // clients whose home is s0
        final int[] homeOfS0 = new int[200];
        for (int h = 0, found = 0; found < homeOfS0.length; h++) {
            if (plain.pick(h, 0) == servers[0]) {
                homeOfS0[found++] = h;
            }
        }
        assertThat(bounded.pick(homeOfS0[0], 0)).isSameAs(servers[0]);
        TestServers.setActive(servers[0], 40);
        TestServers.setActive(servers[1], 10);
        TestServers.setActive(servers[2], 10);
        TestServers.setActive(servers[3], 10);
        // average (70 + 1) / 4 = 17.75; 125% of it is 22.2: s0 at 40 takes none of its own clients
        for (final int h : homeOfS0) {
            assertThat(bounded.pick(h, 0)).isNotSameAs(servers[0]);
            assertThat(plain.pick(h, 0)).isSameAs(servers[0]);
        }
        TestServers.setActive(servers[0], 10);
        for (final int h : homeOfS0) {
            assertThat(bounded.pick(h, 0)).isSameAs(servers[0]);
        }
    }
}
