package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.backend.Server;
import org.junit.jupiter.api.Test;

import static dev.niolb.balance.TestServers.countPicks;
import static dev.niolb.balance.TestServers.equal;
import static dev.niolb.balance.TestServers.excluding;
import static dev.niolb.balance.TestServers.picks;
import static dev.niolb.balance.TestServers.withWeights;
import static org.assertj.core.api.Assertions.assertThat;

class RoundRobinTest {

    @Test
    void picksEachServerInTurn() {
        final Server[] s = equal(3);
        final Balancer balancer = Balancers.create(Algorithm.ROUNDROBIN, s, 0);

        assertThat(picks(balancer, 6, 0)).containsExactly(s[0], s[1], s[2], s[0], s[1], s[2]);
    }

    @Test
    void spreadsPicksExactlyEvenlyOverServers() {
        final Balancer balancer = Balancers.create(Algorithm.ROUNDROBIN, equal(4), 0);

        assertThat(countPicks(balancer, 4, 4_000, 0)).containsExactly(1_000, 1_000, 1_000, 1_000);
    }

    @Test
    void ignoresWeightsAboveZero() {
        final Balancer balancer = Balancers.create(Algorithm.ROUNDROBIN, withWeights(5, 1), 0);

        assertThat(countPicks(balancer, 2, 1_000, 0)).containsExactly(500, 500);
    }

    @Test
    void aRetryLeavesTheTurnAlone() {
        final Server[] s = equal(3);
        final Balancer balancer = Balancers.create(Algorithm.ROUNDROBIN, s, 0);

        assertThat(balancer.pick(0, 0)).isSameAs(s[0]);
        assertThat(balancer.pick(0, excluding(0))).as("s0 refused: one of the others").isIn(s[1], s[2]);
        assertThat(picks(balancer, 3, 0)).containsExactly(s[1], s[2], s[0]);
    }

    @Test
    void aRefusingServerIsTriedFirstOnlyInItsOwnTurnsAndTheOthersShareItsSessions() {
        final int[] two = TestServers.sessionsWithRefusingServers(
            Balancers.create(Algorithm.ROUNDROBIN, equal(2), 0), java.util.Set.of(0), 1, 600);
        assertThat(two).as("first tries on the refusing one, refused, then sessions served by each")
            .containsExactly(300, 0, 0, 600);
        final int[] three = TestServers.sessionsWithRefusingServers(
            Balancers.create(Algorithm.ROUNDROBIN, equal(3), 0), java.util.Set.of(0), 1, 6_000);
        assertThat(three[0]).as("a third of first tries").isEqualTo(2_000);
        assertThat(three[3]).as("2,000 of its own and half the retries, give or take 4 sd").isBetween(2_910, 3_090);
    }

    @Test
    void howManySessionsTwoRefusingServersCostDoesNotDependOnTheOrderTheyAreListedIn() {
        // one retry: a session is refused when its first try and its retry both refuse, 1/2 x 1/3 of them
        final int[] together = TestServers.sessionsWithRefusingServers(
            Balancers.create(Algorithm.ROUNDROBIN, equal(4), 0), java.util.Set.of(0, 1), 1, 6_000);
        final int[] apart = TestServers.sessionsWithRefusingServers(
            Balancers.create(Algorithm.ROUNDROBIN, equal(4), 0), java.util.Set.of(0, 2), 1, 6_000);
        assertThat(together[1]).as("refused, bad ones listed first: 1,000 give or take 4 sd").isBetween(860, 1_140);
        assertThat(apart[1]).as("refused, bad ones listed apart").isBetween(860, 1_140);
    }
}
