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
    void retriesAwayFromAServerGoToTheOthersInProportionToTheirWeights() {
        final Balancer balancer = Balancers.create(Algorithm.WEIGHTED, withWeights(4, 2, 1), 0);

        final int[] counts = countPicks(balancer, 3, 3_000, excluding(0));
        assertThat(counts[0]).isZero();
        assertThat(counts[1]).as("two thirds, drawn: 2,000 give or take 4 sd").isBetween(1_900, 2_100);
    }

    @Test
    void aRefusingServerIsTriedFirstOnlyInItsOwnTurnsAndTheOthersShareItsSessionsByWeight() {
        final int[] weighted = TestServers.sessionsWithRefusingServers(
            Balancers.create(Algorithm.WEIGHTED, withWeights(1, 3, 1), 0), java.util.Set.of(0), 1, 5_000);
        assertThat(weighted[0]).as("a fifth of first tries").isEqualTo(1_000);
        assertThat(weighted[1]).as("none refused: a good server was always left").isZero();
        assertThat(weighted[3]).as("its thousand shared 3:1 with the last: 3,000 + 750, give or take 4 sd")
            .isBetween(3_695, 3_805);
    }
}
