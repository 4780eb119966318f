package dev.niolb.backend;

import dev.niolb.config.Algorithm;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a server takes as its inputs change: the rules every balancer gets through acceptsNew and effectiveWeight. */
class ServerStateTest {

    private static TargetGroup group(final Algorithm balance, final Duration slowStart, final ServerConfig... servers) {
        return new TargetGroup(new TargetGroupConfig("g", balance, List.of(servers),
            HealthCheckConfig.DEFAULTS.withSlowStart(slowStart)), 1);
    }

    private static ServerConfig config(final String name, final int weight, final boolean backup) {
        return new ServerConfig(name, new InetSocketAddress("127.0.0.1", 1000 + name.length()), weight, backup, 0);
    }

    @Test
    void onlyAnUpServerWithWeightTakesNewSessions() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 2, false));
        final Server a = g.snapshot().server("a");
        assertThat(a.acceptsNew()).isTrue();
        assertThat(a.effectiveWeight()).isEqualTo(2 * Server.WEIGHT_SCALE);
        for (final ServerState mode : List.of(ServerState.DRAIN, ServerState.MAINT)) {
            a.operatorMode(mode, "test");
            assertThat(a.state()).isEqualTo(mode);
            assertThat(a.acceptsNew()).isFalse();
        }
        a.operatorMode(ServerState.UP, "test");
        a.health(false, "test");
        assertThat(a.state()).isEqualTo(ServerState.DOWN);
        assertThat(a.acceptsNew()).isFalse();
        a.health(true, "test");
        a.weight(0);
        assertThat(a.state()).isEqualTo(ServerState.UP);
        assertThat(a.acceptsNew()).isFalse();
        assertThatThrownBy(() -> a.operatorMode(ServerState.DOWN, "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aGroupWithoutBackupsNeverSaysItsBackupsAreActive() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        g.snapshot().server("a").health(false, "test");

        assertThat(g.backupsActive()).as("no backups to be active (an alert on the metric would fire)").isFalse();

        final TargetGroup withBackup = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false),
            config("spare", 1, true));
        withBackup.snapshot().server("a").health(false, "test");
        assertThat(withBackup.backupsActive()).isTrue();
    }

    private static TargetGroup primaryAndTwoBackups(final boolean firstBackupOnly) {
        return new TargetGroup(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(config("p", 1, false),
            config("b1", 1, true), config("b22", 1, true)),
            HealthCheckConfig.DEFAULTS.withFirstBackupOnly(firstBackupOnly)), 1);
    }

    @Test
    void withFirstBackupOnlyOneBackupTakesOverAndTheNextStandsInWhileItIsDown() {
        final TargetGroup g = primaryAndTwoBackups(true);
        final Server p = g.snapshot().server("p");
        final Server b1 = g.snapshot().server("b1");
        final Server b2 = g.snapshot().server("b22");

        p.health(false, "test");
        assertThat(b1.acceptsNew()).isTrue();
        assertThat(b2.acceptsNew()).as("one replica behind a primary, as HAProxy's backup: not two").isFalse();
        b1.health(false, "test");
        assertThat(b2.acceptsNew()).isTrue();
        b1.health(true, "test");
        assertThat(b1.acceptsNew()).as("the first again").isTrue();
        assertThat(b2.acceptsNew()).isFalse();
        p.health(true, "test");
        assertThat(p.acceptsNew()).isTrue();
        assertThat(b1.acceptsNew()).isFalse();
    }

    @Test
    void byDefaultEveryBackupTakesOver() {
        final TargetGroup g = primaryAndTwoBackups(false);
        g.snapshot().server("p").health(false, "test");

        assertThat(g.snapshot().server("b1").acceptsNew()).isTrue();
        assertThat(g.snapshot().server("b22").acceptsNew()).isTrue();
    }

    @Test
    void aChangeToFirstBackupOnlyWhileTheBackupsServeStopsTheOthersAtOnce() {
        final TargetGroup g = primaryAndTwoBackups(false);
        g.snapshot().server("p").health(false, "test");

        g.health(g.health().withFirstBackupOnly(true)); // a reload

        assertThat(g.snapshot().server("b1").acceptsNew()).isTrue();
        assertThat(g.snapshot().server("b22").acceptsNew()).isFalse();
    }

    @Test
    void backupsThatAreDownTooAreNotReportedActive() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false),
            config("spare", 1, true));
        final Server spare = g.snapshot().server("spare");
        spare.health(false, "test");
        g.snapshot().server("a").health(false, "test");

        assertThat(g.backupsActive()).as("the only backup is DOWN: none takes sessions").isFalse();
        spare.health(true, "test");
        assertThat(g.backupsActive()).isTrue();
        spare.weight(0);
        assertThat(g.backupsActive()).as("a backup of weight 0 takes no new session").isFalse();
    }

    @Test
    void whenEveryBackupIsDownTooTheLogDoesNotSayTheBackupsTakeOver() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false),
            config("spare", 1, true));
        g.snapshot().server("spare").health(false, "test");
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            g.snapshot().server("a").health(false, "test");

            assertThat(log.messages()).anyMatch(m -> m.contains(
                "group g: no primary server takes new sessions, and no backup server can take over"))
                .noneMatch(m -> m.contains("the backup servers take over"));
        }
    }

    @Test
    void readyForAServerWhoseChecksFailedDuringMaintSaysTheChecksNotTheOperatorTookItDown() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        final Server a = g.snapshot().server("a");
        a.operatorMode(ServerState.MAINT, "set by operator");
        a.health(false, "3 checks failed: HTTP 503");
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            a.operatorMode(ServerState.UP, "set by operator");

            assertThat(a.state()).isEqualTo(ServerState.DOWN);
            assertThat(log.messages()).containsExactly("server g/a DOWN: ready set by operator, but its checks say DOWN");
        }
    }

    @Test
    void aDrainThatLeavesAFailingServerDownSaysTheChecksTookItDown() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        final Server a = g.snapshot().server("a");
        a.operatorMode(ServerState.MAINT, "set by operator");
        a.health(false, "3 checks failed: connection refused");
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            a.operatorMode(ServerState.DRAIN, "set by operator");

            assertThat(a.state()).isEqualTo(ServerState.DOWN);
            // it said "DOWN: set by operator", and an operator cannot set DOWN
            assertThat(log.messages()).containsExactly("server g/a DOWN: drain set by operator, but its checks say DOWN");
        }
    }

    @Test
    void aGroupThatHadNoServerForNewSessionsSaysWhenOneTakesThemAgain() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false), config("b", 1, false));
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            g.snapshot().server("a").health(false, "test");
            g.snapshot().server("b").health(false, "test");
            g.snapshot().server("b").health(true, "test");

            assertThat(log.messages()).filteredOn(m -> m.startsWith("group g:")).containsExactly(
                "group g: no server can take new sessions", "group g: server b takes new sessions again");
        }
    }

    @Test
    void aServerNewToAGroupThatHadNoneForNewSessionsIsSaidAddedNotBackAgain() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            g.snapshot().server("a").health(false, "test");
            g.add(config("c", 1, false));

            assertThat(log.messages()).filteredOn(m -> m.startsWith("group g:")).containsExactly(
                "group g: no server can take new sessions", "group g: server c added: the group takes new sessions again");
        }
    }

    @Test
    void aServerRemovedWithNoSessionSaysSoInWords() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false), config("b", 1, false));
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of(TargetGroup.class.getName())) {
            g.remove("b");

            assertThat(log.messages()).filteredOn(m -> m.contains("removed")).singleElement().asString()
                .endsWith(" removed: takes no new sessions, and has none open"); // not "its 0 open sessions go on"
        }
    }

    @Test
    void aPrimaryComingBackWhileTheOnlyBackupIsDownIsOneGroupLineThatSaysNoBackupStoodIn() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false), config("s", 1, true));
        g.snapshot().server("s").health(false, "test");
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            g.snapshot().server("a").health(false, "test");
            g.snapshot().server("a").health(true, "test");

            assertThat(log.messages()).filteredOn(m -> m.startsWith("group g:")).containsExactly(
                "group g: no primary server takes new sessions, and no backup server can take over",
                "group g: primary server a takes new sessions again");
        }
    }

    @Test
    void aDrainItsAgentHoldsIsSaidWhenItComesAndWhenTheOperatorsReadyLeavesTheServerDraining() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        final Server a = g.snapshot().server("a");
        a.operatorMode(ServerState.MAINT, "set by operator");
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            a.agentReport(ServerState.DRAIN, -1, "agent says 'drain'");
            a.operatorMode(ServerState.UP, "set by operator");

            assertThat(a.state()).isEqualTo(ServerState.DRAIN);
            assertThat(log.messages()).containsExactly("server g/a stays MAINT: agent says 'drain'",
                "server g/a DRAIN: ready set by operator, but its agent says drain");
        }
    }

    @Test
    void aDrainItsAgentAskedWhileChecksHeldTheServerDownIsSaidThenAndWhenTheChecksPass() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        final Server a = g.snapshot().server("a");
        a.health(false, "3 checks failed: HTTP 503");
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            a.agentReport(ServerState.DRAIN, -1, "agent says 'drain'");
            a.health(true, "2 checks passed: HTTP 200");

            assertThat(a.state()).isEqualTo(ServerState.DRAIN);
            assertThat(log.messages()).filteredOn(m -> m.startsWith("server g/a")).containsExactly(
                "server g/a stays DOWN: agent says 'drain'", "server g/a DRAIN: 2 checks passed: HTTP 200, but its agent "
                    + "says drain");
        }
    }

    @Test
    void checksThatFailAndPassAgainDuringMaintAreLoggedThoughTheStateStays() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        final Server a = g.snapshot().server("a");
        a.operatorMode(ServerState.MAINT, "operator");
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            a.health(false, "3 checks failed: HTTP 503");
            a.health(true, "2 checks passed: HTTP 200");

            assertThat(a.state()).isEqualTo(ServerState.MAINT);
            assertThat(log.messages()).containsExactly(
                "server g/a stays MAINT: its checks say DOWN: 3 checks failed: HTTP 503",
                "server g/a stays MAINT: its checks say UP: 2 checks passed: HTTP 200");
        }
    }

    @Test
    void theStateChangeIsStampedWhenTheStateChangesAndNotWhenItIsRepublished() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 2, false));
        final Server a = g.snapshot().server("a");
        final long created = a.stateChangedNanos();
        final long beforeDown = System.nanoTime();
        a.health(false, "test");
        final long down = a.stateChangedNanos();
        assertThat(down).isBetween(beforeDown, System.nanoTime()).isGreaterThan(created);
        a.weight(1); // republished, still DOWN
        a.health(false, "test");
        assertThat(a.stateChangedNanos()).isEqualTo(down);
        final long beforeUp = System.nanoTime();
        a.health(true, "test");
        assertThat(a.stateChangedNanos()).isBetween(beforeUp, System.nanoTime());
    }

    @Test
    void maintenanceWinsOverHealthAndDownOverDrain() {
        final Server a = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false)).snapshot().server("a");
        a.operatorMode(ServerState.DRAIN, "op");
        a.health(false, "checks");
        assertThat(a.state()).isEqualTo(ServerState.DOWN);
        a.agentReport(ServerState.MAINT, -1, "agent");
        assertThat(a.state()).isEqualTo(ServerState.MAINT);
        a.agentReport(ServerState.UP, -1, "agent");
        a.health(true, "checks");
        assertThat(a.state()).isEqualTo(ServerState.DRAIN);
    }

    @Test
    void backupsTakeNewSessionsOnlyWhileNoPrimaryDoes() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("p1", 1, false), config("p2", 1, false),
            config("spare", 1, true));
        final Server p1 = g.snapshot().server("p1");
        final Server p2 = g.snapshot().server("p2");
        final Server spare = g.snapshot().server("spare");
        assertThat(spare.acceptsNew()).isFalse();
        assertThat(spare.state()).isEqualTo(ServerState.UP);
        p1.health(false, "t");
        assertThat(spare.acceptsNew()).isFalse();
        p2.operatorMode(ServerState.DRAIN, "t");
        assertThat(spare.acceptsNew()).isTrue();
        assertThat(g.backupsActive()).isTrue();
        p1.health(true, "t");
        assertThat(spare.acceptsNew()).isFalse();
    }

    @Test
    void theAgentPercentScalesTheWeightAndANewMaglevTableFollowsIt() {
        final TargetGroup g = group(Algorithm.SOURCE, Duration.ZERO, config("a", 4, false));
        final Server a = g.snapshot().server("a");
        final long version = g.snapshot().version();
        a.agentReport(null, 25, "agent");
        assertThat(a.effectiveWeight()).isEqualTo(Server.WEIGHT_SCALE);
        assertThat(a.tableWeight()).isEqualTo(100);
        assertThat(g.snapshot().version()).isEqualTo(version + 1);
        a.agentReport(null, 0, "agent");
        assertThat(a.acceptsNew()).isFalse();
        a.operatorMode(ServerState.DRAIN, "drain does not change the table");
        assertThat(g.snapshot().version()).isEqualTo(version + 2);
    }

    @Test
    void anAgentPercentAboveAHundredRaisesTheWeightUpToTheLargestWeight() {
        final TargetGroup g = group(Algorithm.SOURCE, Duration.ZERO, config("a", 4, false), config("b", 200, false));
        final Server a = g.snapshot().server("a");
        final Server b = g.snapshot().server("b");
        a.agentReport(null, 150, "agent");
        assertThat(a.effectiveWeight()).isEqualTo(6 * Server.WEIGHT_SCALE);
        assertThat(a.tableWeight()).isEqualTo(600);
        b.agentReport(null, 200, "agent");
        assertThat(b.effectiveWeight()).as("200 × 200% capped at 256").isEqualTo(256 * Server.WEIGHT_SCALE);
        assertThat(b.tableWeight()).isEqualTo(256 * 100);
        b.agentReport(null, Server.MAX_AGENT_PERCENT, "agent");
        assertThat(b.effectiveWeight()).isEqualTo(256 * Server.WEIGHT_SCALE);
    }

    @Test
    void slowStartRampsTheWeightFromAFractionToFullOverTheSlowStartTime() {
        final TargetGroup g = group(Algorithm.WEIGHTED, Duration.ofSeconds(10), config("a", 1, false));
        final Server a = g.snapshot().server("a");
        assertThat(a.effectiveWeight()).as("at start: no ramp").isEqualTo(Server.WEIGHT_SCALE);
        a.health(false, "t");
        a.health(true, "t");
        assertThat(a.effectiveWeight()).isEqualTo(Server.RAMP_START);
        final long start = System.nanoTime();
        assertThat(a.advanceRamp(start + Duration.ofSeconds(5).toNanos())).isTrue();
        assertThat(a.effectiveWeight()).isBetween(500, 540);
        assertThat(a.advanceRamp(start + Duration.ofSeconds(11).toNanos())).isFalse();
        assertThat(a.effectiveWeight()).isEqualTo(Server.WEIGHT_SCALE);
    }

    @Test
    void passiveFailuresAreReportedAtEachMultipleOfTheThresholdAndResetByASuccess() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        final Server a = g.snapshot().server("a");
        final List<Integer> reports = new java.util.ArrayList<>();
        g.failureListener((server, failures, why, datagram) -> reports.add(failures));
        g.connectFailed(a, "refused");
        g.connectFailed(a, "refused");
        a.connectSucceeded(0, 1000);
        g.connectFailed(a, "refused");
        g.connectFailed(a, "refused");
        assertThat(reports).isEmpty();
        g.connectFailed(a, "refused");
        g.connectFailed(a, "refused");
        assertThat(reports).containsExactly(3);
        for (int i = 0; i < 4; i++) {
            g.connectFailed(a, "refused");
        }
        // a server kept UP at 3 (the last that takes sessions) is judged again at 6
        assertThat(reports).containsExactly(3, 6);
    }

    @Test
    void aRunOfPortUnreachablesIsNotEndedByTcpConnectsThatSucceedNorTheReverse() {
        // a server TCP and UDP listeners share, one port open and the other closed, never went DOWN under both
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false), config("b", 1, false));
        final Server a = g.snapshot().server("a");
        final List<String> reports = new java.util.ArrayList<>();
        g.failureListener((server, failures, why, datagram) -> reports.add(failures + (datagram ? " udp" : " tcp")));
        for (int i = 0; i < 3; i++) {
            g.connectFailed(a, "port unreachable", true);
            a.connectSucceeded(0, 1000); // its TCP port answers
        }
        assertThat(reports).containsExactly("3 udp");
        for (int i = 0; i < 3; i++) {
            g.connectFailed(a, "refused", false);
            a.answered(); // its UDP port answers
        }
        assertThat(reports).containsExactly("3 udp", "3 tcp");
    }

    @Test
    void aServerAtMaxFailsTakesNoNewSessionFromAnyLoopUntilTheHealthLoopHasJudgedIt() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false), config("b", 1, false));
        final Server a = g.snapshot().server("a");
        g.failureListener((server, failures, why, datagram) -> { }); // a health loop that has not run yet
        g.connectFailed(a, "refused");
        g.connectFailed(a, "refused");
        assertThat(a.acceptsNew()).as("below max-fails (3)").isTrue();
        g.connectFailed(a, "refused");
        assertThat(a.acceptsNew()).as("at max-fails, before any verdict").isFalse();
        assertThat(a.state()).isEqualTo(ServerState.UP);
        assertThat(g.snapshot().server("b").acceptsNew()).isTrue();
        a.judged();
        assertThat(a.acceptsNew()).isTrue();
    }

    @Test
    void theLastServerTakingSessionsIsNotHeldBackAtMaxFails() {
        final TargetGroup g = group(Algorithm.ROUNDROBIN, Duration.ZERO, config("a", 1, false));
        final Server a = g.snapshot().server("a");
        g.failureListener((server, failures, why, datagram) -> { });
        for (int i = 0; i < 3; i++) {
            g.connectFailed(a, "refused");
        }
        assertThat(a.acceptsNew()).as("fail-open: nothing else could take its clients").isTrue();
    }
}
