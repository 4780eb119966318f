package dev.niolb.balance;

import dev.niolb.config.Algorithm;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerCounters;
import org.junit.jupiter.api.Test;

import static dev.niolb.balance.TestServers.equal;
import static dev.niolb.balance.TestServers.picks;
import static dev.niolb.balance.TestServers.setActive;
import static dev.niolb.balance.TestServers.withWeights;
import static org.assertj.core.api.Assertions.assertThat;

class LeastConnectionsTest {

    @Test
    void picksTheServerWithTheFewestActiveSessions() {
        final Server[] s = equal(3);
        setActive(s[0], 5);
        setActive(s[1], 2);
        setActive(s[2], 7);
        final Balancer balancer = Balancers.create(Algorithm.LEASTCONN, s, 0);

        assertThat(picks(balancer, 5, 0)).containsOnly(s[1]);
    }

    @Test
    void comparesActiveSessionsRelativeToWeight() {
        final Server[] s = withWeights(3, 1);
        final Balancer balancer = Balancers.create(Algorithm.LEASTCONN, s, 0);
        setActive(s[1], 3);

        setActive(s[0], 8); // 8/3 < 3/1
        assertThat(balancer.pick(0, 0)).isSameAs(s[0]);
        setActive(s[0], 10); // 10/3 > 3/1
        assertThat(balancer.pick(0, 0)).isSameAs(s[1]);
    }

    @Test
    void equallyLoadedServersTakeTurns() {
        final Server[] s = equal(3);
        final Balancer balancer = Balancers.create(Algorithm.LEASTCONN, s, 0);

        assertThat(picks(balancer, 6, 0)).containsExactly(s[0], s[1], s[2], s[0], s[1], s[2]);
    }

    @Test
    void turnsRotateOnlyAmongTheLeastLoaded() {
        final Server[] s = equal(4);
        setActive(s[0], 1);
        setActive(s[1], 5);
        setActive(s[2], 1);
        setActive(s[3], 5);
        final Balancer balancer = Balancers.create(Algorithm.LEASTCONN, s, 0);

        assertThat(picks(balancer, 4, 0)).containsExactly(s[0], s[2], s[0], s[2]);
    }

    @Test
    void whenEveryPickOpensASessionTheLoadSettlesInProportionToWeight() {
        final Server[] s = withWeights(3, 1, 2);
        final Balancer balancer = Balancers.create(Algorithm.LEASTCONN, s, 0);

        for (int p = 0; p < 600; p++) {
            balancer.pick(p, 0).counters().add(0, ServerCounters.ACTIVE, 1);
        }

        assertThat(new long[] {s[0].active(), s[1].active(), s[2].active()}).containsExactly(300, 100, 200);
    }

    @Test
    void withNoSessionsOpenTheWeightsStillDecide() {
        final Server[] s = withWeights(3, 1, 1);
        final Balancer balancer = Balancers.create(Algorithm.LEASTCONN, s, 0);

        // one client at a time: every pick sees 0 sessions everywhere; smooth weighted round robin's order
        assertThat(picks(balancer, 10, 0)).containsExactly(s[0], s[1], s[0], s[2], s[0], s[0], s[1], s[0], s[2], s[0]);
    }
}
