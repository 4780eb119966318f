package dev.niolb.health;

import dev.niolb.config.Algorithm;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.LogCapture;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Failed connects during real traffic take a server DOWN at once; without active checks a re-probe brings it back. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class PassiveDetectionTest {
    @RegisterExtension
    final EngineRig engine;
    private final Rig rig;

    PassiveDetectionTest(final TestedTransport transport) {
        engine = new EngineRig(transport);
        rig = new Rig(engine);
    }

    @Test
    void aServerKilledMidRunCostsNewConnectionsNothingAndTheyGoToTheOthers() throws Exception {
        rig.backend("a");
        rig.backend("b");
        rig.backend("c");
        rig.start(Algorithm.ROUNDROBIN, 2, HealthCheckConfig.DEFAULTS, rig.config("a"), rig.config("b"), rig.config("c"));
        final AtomicBoolean running = new AtomicBoolean(true);
        final Map<String, Integer> served = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<Long> failedStarts = new ConcurrentLinkedQueue<>();
        final AtomicLong killed = new AtomicLong(Long.MAX_VALUE);
        final AtomicInteger servedSinceKilled = new AtomicInteger();
        final long killedAt;
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < 4; c++) {
                clients.submit(() -> {
                    while (running.get()) {
                        final long started = System.nanoTime();
                        try {
                            served.merge(rig.hello(), 1, Integer::sum);
                            if (started > killed.get()) {
                                servedSinceKilled.incrementAndGet();
                            }
                        } catch (final IOException e) {
                            failedStarts.add(started);
                        }
                    }
                    return null;
                });
            }
            Rig.await("b serving", () -> served.getOrDefault("b", 0) >= 20, 5000);
            rig.kill("b"); // its listening socket and open connections are closed when this returns
            killedAt = System.nanoTime();
            killed.set(killedAt);
            Rig.await("sessions started after the kill", () -> servedSinceKilled.get() >= 200, 10_000);
            running.set(false);
        }
        // sessions already open on b, or being accepted, while it died are cut (nothing can save those);
        // every session that started once it was dead was served, by a or c, whatever niolb tried first
        assertThat(failedStarts).allSatisfy(started -> assertThat(started).isLessThan(killedAt));
        assertThat(failedStarts.size()).isLessThanOrEqualTo(4);
        assertThat(served.get("b")).isPositive();
        final Server b = rig.server("b");
        assertThat(b.state()).isEqualTo(ServerState.DOWN);
        // 3 failures in a row took it out; more may race on both loops until the health loop's DOWN is seen,
        // how many depends on how busy the machine is (the check below proves DOWN ends them)
        assertThat(b.counters().failedConnects()).isGreaterThanOrEqualTo(3L);
        final long failedBefore = b.counters().failedConnects();
        assertThat(rig.spread(30)).containsOnlyKeys("a", "c");
        assertThat(b.counters().failedConnects()).isEqualTo(failedBefore);
    }

    @Test
    void aServerTakenDownByFailedConnectsIsReprobedAndComesBackWhenItListensAgain() throws Exception {
        rig.backend("a");
        final InetSocketAddress bAddress = rig.backend("b").address();
        rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS.withInterval(Duration.ofMillis(100)),
            rig.config("a"), rig.config("b"));
        rig.kill("b");
        assertThat(rig.spread(10)).containsOnlyKeys("a");
        // the failures are counted on the relay loop, the DOWN they cause is published by the health loop, which a
        // loaded machine may run after the tenth session (as UdpProxyTest saw): wait for the state itself
        Rig.await("b DOWN", () -> rig.server("b").state() == ServerState.DOWN, 5000);

        rig.backend("b", bAddress);
        Rig.await("b back UP", () -> rig.server("b").state() == ServerState.UP, 5000);
        assertThat(rig.spread(10)).containsEntry("a", 5).containsEntry("b", 5);
    }

    @Test
    void aServerDownForManyReprobesIsBackWithinAboutOneIntervalOfListeningAgain() throws Exception {
        rig.backend("a");
        final InetSocketAddress bAddress = rig.backend("b").address();
        rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS.withInterval(Duration.ofMillis(100)),
            rig.config("a"), rig.config("b"));
        rig.kill("b");
        rig.spread(10);
        Rig.await("b DOWN", () -> rig.server("b").state() == ServerState.DOWN, 5000);
        // six refused re-probes: a back-off doubling from the interval would now wait 6.4 s for the seventh
        Rig.await("six failed re-probes", () -> rig.server("b").healthCounters().checksFailed() >= 6, 10_000);

        rig.backend("b", bAddress);
        final long back = System.nanoTime();
        Rig.await("b back UP", () -> rig.server("b").state() == ServerState.UP, 10_000);
        final long ms = (rig.server("b").stateChangedNanos() - back) / 1_000_000;
        assertThat(ms).as("ms from listening again to UP, at a 100 ms interval").isLessThan(2000);
    }

    @Test
    void aStateChangeIsLoggedOnceWithItsReason() throws Exception {
        try (LogCapture log = LogCapture.of("dev.niolb.health")) {
            rig.backend("a");
            rig.backend("b");
            rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS, rig.config("a"), rig.config("b"));
            rig.kill("b");
            rig.spread(20);
            Rig.await("b DOWN", () -> rig.server("b").state() == ServerState.DOWN, 2000);
            // the state shows before its line is written (the same call, on the health loop): wait for the line
            Rig.await("b's line", () -> log.messages().stream().anyMatch(m -> m.startsWith("server g/b DOWN")), 2000);
            assertThat(log.messages().stream().filter(m -> m.startsWith("server g/b ")).toList()).containsExactly(
                "server g/b DOWN: 3 connects in a row failed during traffic: connection refused");
            assertThat(log.events().stream().filter(e -> e.getFormattedMessage().startsWith("server g/b DOWN")))
                .allSatisfy(e -> {
                    assertThat(e.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
                    assertThat(e.getThreadName()).as("decided on the health loop").isEqualTo("niolb-health");
                });
        }
    }

    @Test
    void oneFailedConnectIsSaidSoWhenItIsEnough() throws Exception {
        try (LogCapture log = LogCapture.of("dev.niolb.health")) {
            rig.backend("a");
            rig.backend("b");
            rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS.withMaxFails(1), rig.config("a"), rig.config("b"));
            rig.kill("b");
            rig.spread(20);
            Rig.await("b DOWN", () -> rig.server("b").state() == ServerState.DOWN, 2000);
            // the state shows before its line is written (the same call, on the health loop): wait for the line
            Rig.await("b's line", () -> log.messages().stream().anyMatch(m -> m.startsWith("server g/b DOWN")), 2000);
            assertThat(log.messages().stream().filter(m -> m.startsWith("server g/b ")).toList()).containsExactly(
                "server g/b DOWN: a connect failed during traffic: connection refused");
        }
    }

    @Test
    void theLastServerOfAGroupThatTakesSessionsIsKeptUpOnPassiveFailuresAloneAndServesAgainOnceBack() throws Exception {
        try (LogCapture log = LogCapture.of("dev.niolb.health")) {
            rig.backend("a");
            final InetSocketAddress bAddress = rig.backend("b").address();
            rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS, rig.config("a"), rig.config("b"));
            rig.server("a").operatorMode(ServerState.MAINT, "test"); // b is the only one taking sessions
            rig.kill("b"); // refuses: every session fails on it (nothing else to try)
            awaitFailOpenWarning(log);

            assertThat(log.messages().stream().filter(m -> m.contains("kept UP")).toList()).containsExactly(
                "server g/b: 3 connects in a row failed during traffic (connection refused), but it is the last server"
                    + " of group g that takes sessions: kept UP (no active check to confirm)");
            assertThat(rig.server("b").state()).isEqualTo(ServerState.UP);
            rig.backend("b", bAddress); // back: the next session is served at once, no re-probe to wait for
            assertThat(rig.hello()).isEqualTo("b");
        }
    }

    @Test
    void aServerKeptUpAsTheLastIsTakenDownByItsNextFailuresOnceAnotherTakesSessionsAgain() throws Exception {
        try (LogCapture log = LogCapture.of("dev.niolb.health")) {
            rig.backend("a");
            rig.backend("b");
            rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS, rig.config("a"), rig.config("b"));
            rig.server("a").operatorMode(ServerState.MAINT, "test");
            rig.kill("b");
            awaitFailOpenWarning(log);

            rig.server("a").operatorMode(ServerState.UP, "test"); // b is no longer the last
            // it stayed UP for good, each session to it paying a failed connect and a retry (session 22)
            Rig.await("b DOWN", () -> {
                assertThat(rig.hello()).isEqualTo("a"); // b refuses, the retry goes to a
                return rig.server("b").state() == ServerState.DOWN;
            }, 10_000);
            assertThat(log.messages().stream().filter(m -> m.contains("kept UP"))).hasSize(1);
        }
    }

    @Test
    void theLastPrimaryIsStillTakenDownWhenABackupCanTakeOver() throws Exception {
        rig.backend("p");
        rig.backend("spare");
        rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS, rig.config("p"), rig.config("spare", true, 0));
        assertThat(rig.hello()).isEqualTo("p");
        rig.kill("p");
        Rig.await("p DOWN and the backup serving", () -> {
            try {
                return "spare".equals(rig.hello()) && rig.server("p").state() == ServerState.DOWN;
            } catch (final IOException refused) {
                return false; // a session that found p refusing before the hand-over
            }
        }, 10_000);
    }

    /** Sessions until the fail-open warning: each fails on the one server taking sessions, which refuses. */
    private void awaitFailOpenWarning(final LogCapture log) throws Exception {
        Rig.await("the fail-open warning", () -> {
            try {
                rig.hello();
            } catch (final IOException refused) {
                // expected while the only server taking sessions is gone
            }
            return log.messages().stream().anyMatch(m -> m.contains("kept UP"));
        }, 10_000);
    }
}
