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
    void aRetryTakesTheNextServerOfATurnOfItsOwnAndLeavesTheFirstPicksTurnAlone() {
        final Server[] s = equal(3);
        final Balancer balancer = Balancers.create(Algorithm.ROUNDROBIN, s, 0);

        assertThat(balancer.pick(0, 0)).isSameAs(s[0]);
        assertThat(balancer.pick(0, excluding(0))).as("s0 refused: the retries' turn").isSameAs(s[1]);
        assertThat(picks(balancer, 3, 0)).containsExactly(s[1], s[2], s[0]);
        assertThat(balancer.pick(0, excluding(0))).as("the retries' turn went on").isSameAs(s[2]);
    }

    @Test
    void aRefusingServerIsTriedFirstOnlyInItsOwnTurnsAndTheOthersShareItsSessions() {
        final int[] twoServers = TestServers.sessionsWithARefusingServer(
            Balancers.create(Algorithm.ROUNDROBIN, equal(2), 0), 0, 600);
        assertThat(twoServers).as("first tries on the refusing one, then sessions served by each")
            .containsExactly(300, 0, 600);
        final int[] threeServers = TestServers.sessionsWithARefusingServer(
            Balancers.create(Algorithm.ROUNDROBIN, equal(3), 0), 0, 600);
        assertThat(threeServers).as("a third of first tries, and the others take half each")
            .containsExactly(200, 0, 300, 300);
    }
}
