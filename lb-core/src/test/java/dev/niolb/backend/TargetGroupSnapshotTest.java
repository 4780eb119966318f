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
    void aGroupThatDoesNotBalanceBySourceHasNoTableToBuild() {
        assertThat(group(Algorithm.ROUNDROBIN).snapshot().maglevTable()).isNull();
        assertThat(group(Algorithm.LEASTCONN).snapshot().maglevTable()).isNull();
    }
}
