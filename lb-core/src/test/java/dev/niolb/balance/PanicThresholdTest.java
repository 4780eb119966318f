package dev.niolb.balance;

import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import dev.niolb.config.Algorithm;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Envoy's panic threshold: while too few of a group's primary servers are UP, every server not in DRAIN or MAINT
 * takes new sessions, DOWN ones included, whatever the algorithm.
 */
class PanicThresholdTest {

    private static TargetGroup group(final Algorithm balance, final int panicThreshold, final ServerConfig... servers) {
        return new TargetGroup(new TargetGroupConfig("g", balance, List.of(servers),
            HealthCheckConfig.DEFAULTS.withPanicThreshold(panicThreshold)), 1);
    }

    private static ServerConfig server(final String name) {
        return server(name, false);
    }

    private static ServerConfig server(final String name, final boolean backup) {
        return new ServerConfig(name, new InetSocketAddress("127.0.0.1", 1000 + name.charAt(0)), 1, backup, 0);
    }

    private static TargetGroup fiveServers(final Algorithm balance, final int panicThreshold) {
        return group(balance, panicThreshold, server("a"), server("b"), server("c"), server("d"), server("e"));
    }

    private static void down(final TargetGroup g, final String... names) {
        for (final String name : names) {
            g.snapshot().server(name).health(false, "test");
        }
    }

    /** The names of the servers picked over many clients (distinct client hashes, nothing excluded). */
    private static Set<String> picked(final TargetGroup g) {
        final GroupBalancer balancer = new GroupBalancer(g, 42);
        final Set<String> names = new TreeSet<>();
        for (int i = 0; i < 2000; i++) {
            final Server s = balancer.pick(ClientHash.mix(i), 0);
            if (s != null) {
                names.add(s.name());
            }
        }
        return names;
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void withFourOfFiveServersDownAndAThresholdOfFiftyPercentAllFiveArePicked(final Algorithm balance) {
        final TargetGroup g = fiveServers(balance, 50);
        down(g, "b", "c", "d", "e");

        assertThat(g.panic()).isTrue();
        assertThat(picked(g)).containsExactly("a", "b", "c", "d", "e");
        assertThat(g.snapshot().server("b").state()).as("the state stays what the checks say")
            .isEqualTo(ServerState.DOWN);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void belowThresholdOffNothingChanges(final Algorithm balance) {
        final TargetGroup g = fiveServers(balance, 0);
        down(g, "b", "c", "d", "e");

        assertThat(g.panic()).isFalse();
        assertThat(picked(g)).containsExactly("a");
    }

    @Test
    void aGroupWithExactlyTheThresholdShareUpIsNotInPanicAndOneLessIs() {
        final TargetGroup g = fiveServers(Algorithm.ROUNDROBIN, 60);
        down(g, "d", "e"); // 3 of 5 = 60%

        assertThat(g.panic()).isFalse();
        assertThat(picked(g)).containsExactly("a", "b", "c");

        down(g, "c"); // 2 of 5 = 40%
        assertThat(g.panic()).isTrue();
        assertThat(picked(g)).containsExactly("a", "b", "c", "d", "e");
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void maintenanceAndDrainedServersAreNeverPickedInPanic(final Algorithm balance) {
        final TargetGroup g = fiveServers(balance, 50);
        g.snapshot().server("d").operatorMode(ServerState.MAINT, "operator");
        g.snapshot().server("e").operatorMode(ServerState.DRAIN, "operator");
        down(g, "b", "c"); // 1 of the 3 servers not taken out is UP: 33%

        assertThat(g.panic()).isTrue();
        assertThat(picked(g)).containsExactly("a", "b", "c");
    }

    @Test
    void serversInMaintenanceDoNotCountTowardsTheShare() {
        final TargetGroup g = fiveServers(Algorithm.ROUNDROBIN, 50);
        for (final String name : List.of("b", "c", "d")) {
            g.snapshot().server(name).operatorMode(ServerState.MAINT, "operator");
        }

        assertThat(g.panic()).as("2 of the 2 servers in service are UP").isFalse();
        down(g, "e");
        assertThat(g.panic()).as("1 of 2 is UP: not under 50%").isFalse();
    }

    @Test
    void aDownServerInAMaintenanceModeIsNotPickedInPanic() {
        final TargetGroup g = fiveServers(Algorithm.ROUNDROBIN, 100);
        down(g, "b", "c");
        g.snapshot().server("c").operatorMode(ServerState.MAINT, "operator"); // DOWN and then MAINT: MAINT

        assertThat(g.panic()).isTrue();
        assertThat(picked(g)).containsExactly("a", "b", "d", "e");
    }

    @Test
    void aBackupThatIsUpKeepsTheGroupOutOfPanicAndTakesOver() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, 50, server("a"), server("b"), server("spare", true));
        down(g, "a", "b");

        assertThat(g.panic()).isFalse();
        assertThat(picked(g)).containsExactly("spare");

        down(g, "spare");
        assertThat(g.panic()).as("nothing UP at all: every server is tried").isTrue();
        assertThat(picked(g)).containsExactly("a", "b", "spare");
    }

    @Test
    void aDownBackupTakesNoSessionsInPanicWhileAPrimaryIsUp() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, 50, server("a"), server("b"), server("c"),
            server("spare", true));
        down(g, "spare", "b", "c");

        assertThat(g.panic()).isTrue();
        assertThat(picked(g)).as("backups stand by while a primary is UP").containsExactly("a", "b", "c");
        assertThat(g.backupsActive()).isFalse();

        try (LogCapture log = LogCapture.of("dev.niolb.health")) {
            down(g, "a");
            assertThat(picked(g)).as("nothing UP at all: every server is tried").containsExactly("a", "b", "c", "spare");
            assertThat(log.messages()).contains("group g: no primary server is UP, nor any backup server: in panic, "
                + "every server UP or DOWN takes new sessions").noneMatch(m -> m.contains("take over"));
        }
    }

    @Test
    void panicEndsWhenEnoughServersAreUpAgainAndDownServersStopTakingSessions() {
        final TargetGroup g = fiveServers(Algorithm.LEASTCONN, 50);
        down(g, "b", "c", "d", "e");
        assertThat(g.panic()).isTrue();

        g.snapshot().server("b").health(true, "test");
        assertThat(g.panic()).as("2 of 5 UP").isTrue();
        g.snapshot().server("c").health(true, "test");

        assertThat(g.panic()).as("3 of 5 UP").isFalse();
        assertThat(picked(g)).containsExactly("a", "b", "c");
        assertThat(g.snapshot().server("d").effectiveWeight()).isZero();
    }

    @Test
    void thePanicLineCountsTheServersTheDecisionCountsLeavingDrainedOnesOut() {
        try (LogCapture log = LogCapture.of("dev.niolb.health")) {
            final TargetGroup g = fiveServers(Algorithm.ROUNDROBIN, 50);
            g.snapshot().server("a").operatorMode(dev.niolb.backend.ServerState.DRAIN, "test");
            down(g, "b", "c", "d");

            assertThat(log.messages()).anyMatch(m -> m.startsWith("group g: panic: 1 of 4 primary servers UP,"));
        }
    }

    @Test
    void enteringAndLeavingPanicIsLoggedOnceEachAtWarn() {
        try (LogCapture log = LogCapture.of("dev.niolb.health")) {
            final TargetGroup g = fiveServers(Algorithm.ROUNDROBIN, 50);
            down(g, "b", "c", "d");
            down(g, "e"); // deeper into panic: no second line
            g.snapshot().server("b").health(true, "test");
            g.snapshot().server("c").health(true, "test");

            final List<String> lines = new ArrayList<>();
            log.events().stream().filter(e -> e.getFormattedMessage().contains("panic")).forEach(e -> {
                assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
                lines.add(e.getFormattedMessage());
            });
            assertThat(lines).containsExactly(
                "group g: panic: 2 of 5 primary servers UP, under the panic threshold of 50%: every server not in"
                    + " drain or maintenance takes new sessions, DOWN ones included",
                "group g: panic over: 3 of 5 primary servers UP (panic threshold 50%): only UP servers take new"
                    + " sessions again");
        }
    }

    @Test
    void aNewThresholdFromAReloadPutsTheGroupInPanicAtOnceAndRemovingItEndsPanic() {
        final TargetGroup g = fiveServers(Algorithm.ROUNDROBIN, 0);
        down(g, "b", "c", "d", "e");
        assertThat(picked(g)).containsExactly("a");

        g.health(g.health().withPanicThreshold(50));
        assertThat(g.panic()).isTrue();
        assertThat(picked(g)).containsExactly("a", "b", "c", "d", "e");

        g.health(g.health().withPanicThreshold(0));
        assertThat(g.panic()).isFalse();
        assertThat(picked(g)).containsExactly("a");
    }

    @Test
    void aThresholdOutside0To100IsRefusedInOneLine() {
        for (final int bad : new int[]{-1, 101}) {
            assertThatThrownBy(() -> HealthCheckConfig.DEFAULTS.withPanicThreshold(bad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("panic-threshold must be 0..100 (percent of a group's primary servers; 0 off), got " + bad);
        }
    }
}
