package dev.niolb.backend;

import dev.niolb.config.Algorithm;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a group's published snapshot carries, made by the thread that publishes it. */
class TargetGroupSnapshotTest {

    private static TargetGroup group(final Algorithm balance) {
        return new TargetGroup(new TargetGroupConfig("g", balance, List.of(server("a"), server("b"), server("c")),
            HealthCheckConfig.DEFAULTS), 2);
    }

    private static ServerConfig server(final String name) {
        return new ServerConfig(name, new InetSocketAddress("127.0.0.1", 1000 + name.charAt(0)), 1, false, 0);
    }

    @Test
    void aSourceGroupsSnapshotIsPublishedWithItsMaglevTableAndAWeightChangePublishesANewOne() {
        final TargetGroup g = group(Algorithm.SOURCE);
        final TargetGroup.Snapshot first = g.snapshot();
        assertThat(first.maglevTable()).isNotNull();
        g.snapshot().server("b").weight(3); // run-time weight: the table changes, built here, not on a relay loop
        final TargetGroup.Snapshot second = g.snapshot();
        assertThat(second).isNotSameAs(first);
        assertThat(second.maglevTable()).isNotNull().isNotSameAs(first.maglevTable());
    }

    @Test
    void drainingASourceGroupsServerMapsItsClientsAsRemovingItDoesSoTheRemovalThenMovesNobody() {
        // the table walked past a drained server, and its removal moved most of its clients a second time
        final TargetGroup g = new TargetGroup(new TargetGroupConfig("g", Algorithm.SOURCE,
            List.of(server("a"), server("b"), server("c"), server("d"), server("e")), HealthCheckConfig.DEFAULTS), 2);
        final dev.niolb.balance.GroupBalancer balancer = new dev.niolb.balance.GroupBalancer(g, 1);
        final String[] before = picks(balancer);

        g.snapshot().server("b").operatorMode(ServerState.DRAIN, "test");
        final String[] drained = picks(balancer);
        g.snapshot().server("b").operatorMode(ServerState.UP, "test");
        assertThat(picks(balancer)).as("ready again: every client where it was").isEqualTo(before);
        g.snapshot().server("b").operatorMode(ServerState.DRAIN, "test");
        g.remove("b");
        final String[] removed = picks(balancer);

        int moved = 0;
        for (int i = 0; i < before.length; i++) {
            assertThat(drained[i]).as("client %d", i).isEqualTo(removed[i]).isNotEqualTo("b");
            moved += before[i].equals(drained[i]) ? 0 : 1;
        }
        assertThat(moved).as("about b's fifth of the clients, mostly b's own").isBetween(300, 560);
    }

    private static String[] picks(final dev.niolb.balance.GroupBalancer balancer) {
        final String[] names = new String[2000];
        for (int i = 0; i < names.length; i++) {
            names[i] = balancer.pick(dev.niolb.balance.ClientHash.mix(i), 0).name();
        }
        return names;
    }

    @Test
    void aGroupThatDoesNotBalanceBySourceHasNoTableToBuild() {
        assertThat(group(Algorithm.ROUNDROBIN).snapshot().maglevTable()).isNull();
        assertThat(group(Algorithm.LEASTCONN).snapshot().maglevTable()).isNull();
    }
}
