package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.backend.Server;
import org.junit.jupiter.api.Test;

import static dev.niolb.balance.TestServers.countPicks;
import static dev.niolb.balance.TestServers.excluding;
import static dev.niolb.balance.TestServers.picks;
import static dev.niolb.balance.TestServers.withWeights;
import static org.assertj.core.api.Assertions.assertThat;

class SmoothWeightedRoundRobinTest {

    @Test
    void weightsFiveOneOneGiveTheInterleavedSequenceAABACAA() {
        final Server[] s = withWeights(5, 1, 1);
        final Server a = s[0];
        final Server b = s[1];
        final Server c = s[2];
        final Balancer balancer = Balancers.create(Algorithm.WEIGHTED, s, 0);

        assertThat(picks(balancer, 14, 0)).containsExactly(
            a, a, b, a, c, a, a,
            a, a, b, a, c, a, a);
    }

    @Test
    void everyCycleOfTotalWeightPicksEachServerExactlyItsWeight() {
        final Balancer balancer = Balancers.create(Algorithm.WEIGHTED, withWeights(3, 2, 1), 0);

        for (int cycle = 0; cycle < 100; cycle++) {
            assertThat(countPicks(balancer, 3, 6, 0)).containsExactly(3, 2, 1);
        }
    }

    @Test
    void picksFollowTheWeightsOverManyPicks() {
        final Balancer balancer = Balancers.create(Algorithm.WEIGHTED, withWeights(7, 2, 1, 10), 0);

        assertThat(countPicks(balancer, 4, 20_000, 0)).containsExactly(7_000, 2_000, 1_000, 10_000);
    }

    @Test
    void aWeightChangeTakesEffectOnTheNextPicks() {
        final Server[] s = withWeights(1, 1);
        final Balancer balancer = Balancers.create(Algorithm.WEIGHTED, s, 0);
        countPicks(balancer, 2, 5, 0);

        s[0].weight(3);
        final int[] counts = countPicks(balancer, 2, 400, 0);

        assertThat(counts[0]).isBetween(298, 302);
    }

    @Test
    void anExcludedServersTurnsGoToTheOthersInProportionToTheirWeights() {
        final Balancer balancer = Balancers.create(Algorithm.WEIGHTED, withWeights(4, 2, 1), 0);

        assertThat(countPicks(balancer, 3, 300, excluding(0))).containsExactly(0, 200, 100);
    }

    @Test
    void aRefusingServerIsTriedFirstOnlyInItsOwnTurnsAndTheOthersShareItsSessionsByWeight() {
        final int[] equalWeights = TestServers.sessionsWithARefusingServer(
            Balancers.create(Algorithm.WEIGHTED, TestServers.equal(2), 0), 0, 600);
        assertThat(equalWeights).as("first tries on the refusing one, then sessions served by each")
            .containsExactly(300, 0, 600);
        final int[] weighted = TestServers.sessionsWithARefusingServer(
            Balancers.create(Algorithm.WEIGHTED, withWeights(1, 3, 1), 0), 0, 500);
        assertThat(weighted).as("a fifth of first tries, and the others take its sessions 3:1 as their own")
            .containsExactly(100, 0, 375, 125);
    }
}
