package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.backend.Server;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.niolb.balance.TestServers.countPicks;
import static dev.niolb.balance.TestServers.equal;
import static dev.niolb.balance.TestServers.picks;
import static dev.niolb.balance.TestServers.setActive;
import static dev.niolb.balance.TestServers.withWeights;
import static org.assertj.core.api.Assertions.assertThat;

class PowerOfTwoChoicesTest {

    @Test
    void ofTwoServersTheLessLoadedIsAlwaysPickedBecauseBothAreDrawn() {
        final Server[] s = equal(2);
        setActive(s[0], 10);
        final Balancer balancer = Balancers.create(Algorithm.RANDOM, s, 42);

        assertThat(countPicks(balancer, 2, 1_000, 0)).containsExactly(0, 1_000);
    }

    @Test
    void lessLoadedServersArePickedMoreOftenAndTheMostLoadedNever() {
        final Server[] s = equal(10);
        for (int i = 0; i < s.length; i++) {
            setActive(s[i], 10L * i);
        }
        // server k wins when drawn with a busier one: 2(9 - k)/90 of picks, so 20%, 8.9%, 2.2%, 0
        final int[] counts = countPicks(Balancers.create(Algorithm.RANDOM, s, 42), 10, 20_000, 0);

        assertThat(counts[0]).isBetween(3_600, 4_400);
        assertThat(counts[5]).isBetween(1_500, 2_050);
        assertThat(counts[8]).isBetween(300, 600);
        assertThat(counts[9]).isZero();
    }

    @Test
    void comparesActiveSessionsRelativeToWeight() {
        final Server[] s = withWeights(4, 1);
        setActive(s[0], 7); // 7/4 < 2/1
        setActive(s[1], 2);
        final Balancer balancer = Balancers.create(Algorithm.RANDOM, s, 42);

        assertThat(countPicks(balancer, 2, 100, 0)).containsExactly(100, 0);
    }

    @Test
    void equallyLoadedServersShareThePicksEvenly() {
        final int[] counts = countPicks(Balancers.create(Algorithm.RANDOM, equal(8), 42), 8, 16_000, 0);

        for (final int c : counts) {
            assertThat(c).as(Arrays.toString(counts)).isBetween(1_800, 2_200);
        }
    }

    @Test
    void theSameSeedGivesTheSamePicks() {
        final Server[] s = equal(16);

        assertThat(picks(Balancers.create(Algorithm.RANDOM, s, 7), 100, 0))
            .containsExactly(picks(Balancers.create(Algorithm.RANDOM, s, 7), 100, 0));
    }

    @Test
    void differentSeedsGiveDifferentPicksSoLoopsDoNotMoveInLockstep() {
        final Server[] s = equal(16);

        assertThat(picks(Balancers.create(Algorithm.RANDOM, s, 1), 100, 0))
            .isNotEqualTo(picks(Balancers.create(Algorithm.RANDOM, s, 2), 100, 0));
    }

    @Test
    void withNoSessionsOpenServersArePickedInProportionToTheirWeights() {
        // one client at a time: every pick sees 0 sessions everywhere, the first drawn wins, drawn by weight
        final int[] counts = countPicks(Balancers.create(Algorithm.RANDOM, withWeights(3, 1, 1), 42), 3, 10_000, 0);

        assertThat(counts[0]).as(Arrays.toString(counts)).isBetween(5_700, 6_300);
        assertThat(counts[1]).as(Arrays.toString(counts)).isBetween(1_800, 2_200);
        assertThat(counts[2]).as(Arrays.toString(counts)).isBetween(1_800, 2_200);
    }

    @Test
    void oneServerFarHeavierThanTheOthersGetsItsShareWhenNoSessionsAreOpen() {
        // the second draw, among the light ones, misses often and falls back to a scan: the scan must not leave the
        // rejection bound at the light ones' weight, or the next first draw takes every server as weight 1
        for (final int heavy : new int[] {256, 10}) {
            for (final Algorithm algorithm : new Algorithm[] {Algorithm.RANDOM, Algorithm.LEASTTIME}) {
                final int[] counts = countPicks(Balancers.create(algorithm, withWeights(heavy, 1, 1), 42), 3, 10_000, 0);
                final double expected = 10_000.0 * heavy / (heavy + 2); // 9,922 and 8,333
                assertThat(counts[0]).as(algorithm + " " + heavy + ",1,1: " + Arrays.toString(counts))
                    .isBetween((int) (expected - 250), (int) Math.min(10_000, expected + 250));
            }
        }
    }

    @Test
    void aServerOfWeightZeroIsNeverDrawn() {
        final Server[] s = withWeights(1, 0, 1);

        assertThat(countPicks(Balancers.create(Algorithm.RANDOM, s, 42), 3, 1_000, 0)[1]).isZero();
    }
}
