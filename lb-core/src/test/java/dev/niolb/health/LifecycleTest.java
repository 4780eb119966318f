package dev.niolb.health;

import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.session.Termination;
import dev.niolb.testing.Await;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Drain, maintenance, backups and slow start, end to end on loopback. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class LifecycleTest {
    @RegisterExtension
    final EngineRig engine;
    private final Rig rig;

    LifecycleTest(final TestedTransport transport) {
        engine = new EngineRig(transport);
        rig = new Rig(engine);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = ServerState.class, names = {"DRAIN", "MAINT"})
    void aServerTakenOutFinishesItsOpenSessionsAndGetsNoNewOnes(final ServerState mode) throws Exception {
        rig.backend("a");
        rig.backend("b");
        rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS, rig.config("a"), rig.config("b"));
        final List<Socket> onA = new ArrayList<>();
        final List<Socket> all = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                final Socket s = rig.connect();
                all.add(s);
                if (Rig.greeting(s).equals("a")) {
                    onA.add(s);
                }
            }
            assertThat(onA).hasSize(3);
            final Server a = rig.server("a");
            a.operatorMode(mode, "test");
            assertThat(a.state()).isEqualTo(mode);

            assertThat(rig.spread(20)).containsOnlyKeys("b");
            for (final Socket s : onA) { // long-lived sessions go on relaying
                s.getOutputStream().write("still here\n".getBytes(StandardCharsets.UTF_8));
                assertThat(s.getInputStream().readNBytes(11)).asString(StandardCharsets.UTF_8).isEqualTo("still here\n");
            }
            assertThat(a.active()).isEqualTo(3);
        } finally {
            for (final Socket s : all) {
                s.close();
            }
        }
        Rig.await("a's sessions ended", () -> rig.server("a").active() == 0, 3000);
        rig.server("a").operatorMode(ServerState.UP, "test");
        assertThat(rig.spread(4)).containsEntry("a", 2).containsEntry("b", 2);
    }

    @Test
    void aBackupTakesOverWhenEveryPrimaryIsDownAndGivesBackWhenOneReturns() throws Exception {
        final InetSocketAddress p1Address = rig.backend("p1").address();
        rig.backend("p2");
        rig.backend("spare");
        final HealthCheckConfig health = HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp()))
            .withInterval(Duration.ofMillis(30)).withRise(1).withFall(1);
        rig.start(Algorithm.ROUNDROBIN, 1, health, rig.config("p1"), rig.config("p2"), rig.config("spare", true, 0));
        assertThat(rig.spread(20)).containsOnlyKeys("p1", "p2");
        assertThat(rig.server("spare").state()).isEqualTo(ServerState.UP);
        assertThat(rig.lb.group("g").backupsActive()).isFalse();

        rig.kill("p1");
        rig.kill("p2");
        Rig.await("backups take over", () -> rig.lb.group("g").backupsActive(), 3000);
        assertThat(rig.spread(20)).containsOnlyKeys("spare");

        rig.backend("p1", p1Address);
        Rig.await("p1 UP", () -> rig.server("p1").state() == ServerState.UP, 3000);
        assertThat(rig.lb.group("g").backupsActive()).isFalse();
        assertThat(rig.spread(20)).containsOnlyKeys("p1");
    }

    @Test
    void aServerBackUnderSlowStartGetsASmallShareFirstAndItsFullShareOnceRamped() throws Exception {
        rig.backend("a");
        rig.backend("b");
        rig.start(Algorithm.WEIGHTED, 1, HealthCheckConfig.DEFAULTS.withSlowStart(Duration.ofSeconds(2)),
            rig.config("a"), rig.config("b"));
        final Server a = rig.server("a");
        a.operatorMode(ServerState.MAINT, "test");
        assertThat(rig.spread(10)).containsOnlyKeys("b");

        a.operatorMode(ServerState.UP, "test");
        final Map<String, Integer> early = rig.spread(100);
        assertThat(early.getOrDefault("a", 0)).as("a's share just back").isBetween(1, 20);
        Rig.await("a half way", () -> a.effectiveWeight() > 400 && a.effectiveWeight() < 700, 3000);
        Rig.await("a at full weight", () -> a.effectiveWeight() == Server.WEIGHT_SCALE, 3000);
        final Map<String, Integer> late = rig.spread(100);
        assertThat(late.get("a")).as("a's share once ramped").isBetween(45, 55);
    }

    @Test
    void aReloadThatTurnsSlowStartOffEndsARampUnderWayAtTheFullWeight() throws Exception {
        rig.backend("a");
        rig.backend("b");
        final HealthCheckConfig ramping = HealthCheckConfig.DEFAULTS.withSlowStart(Duration.ofSeconds(60));
        rig.start(Algorithm.WEIGHTED, 1, ramping, rig.config("a"), rig.config("b"));
        final Server a = rig.server("a");
        a.operatorMode(ServerState.MAINT, "test");
        a.operatorMode(ServerState.UP, "test");
        assertThat(a.effectiveWeight()).as("ramping").isLessThan(Server.WEIGHT_SCALE);

        rig.lb.reload(Config.single(1, Duration.ofSeconds(2),
            new ListenerConfig("front", Protocol.TCP,
                new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.WEIGHTED, List.of(rig.config("a"), rig.config("b")),
                ramping.withSlowStart(Duration.ZERO))).withTransport(rig.lb.config().transport()));

        Rig.await("a at full weight", () -> a.effectiveWeight() == Server.WEIGHT_SCALE, 3000);
    }

    @Test
    void aServerAtWeightZeroTakesNoNewSessionsAndTheBackupsStayIdleWhileAnotherPrimaryIsUp() throws Exception {
        rig.backend("a");
        rig.backend("b");
        rig.backend("spare");
        rig.start(Algorithm.LEASTCONN, 1, HealthCheckConfig.DEFAULTS, rig.config("a"), rig.config("b"),
            rig.config("spare", true, 0));
        rig.server("a").weight(0);
        assertThat(rig.spread(10)).containsOnlyKeys("b");
        rig.server("b").weight(0);
        assertThat(rig.lb.group("g").backupsActive()).isTrue();
        assertThat(rig.spread(10)).containsOnlyKeys("spare");
        rig.server("a").weight(1);
        assertThat(rig.spread(10)).containsOnlyKeys("a");
    }

    @Test
    void leasttimeServesRealSessionsAndMeasuresEachServersConnectTime() throws Exception {
        rig.backend("a");
        rig.backend("b");
        rig.start(Algorithm.LEASTTIME, 2, HealthCheckConfig.DEFAULTS, rig.config("a"), rig.config("b"));
        final Map<String, Integer> spread = rig.spread(40);
        assertThat(spread).containsOnlyKeys("a", "b");
        assertThat(rig.server("a").connectNanosEwma()).isPositive();
        assertThat(rig.server("b").connectNanosEwma()).isPositive();
    }

    @Test
    void aSessionAtItsMaximumAgeIsEndedCleanlyAndCounted() throws Exception {
        rig.backend("a");
        rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS,
            TcpOptions.DEFAULTS.withMaxConnectionAge(Duration.ofMillis(300)), rig.config("a"));
        try (Socket s = rig.connect()) {
            final long opened = System.nanoTime();
            assertThat(Rig.greeting(s)).isEqualTo("a");
            assertThat(s.getInputStream().read()).as("a clean end of stream, not a reset").isEqualTo(-1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened)).isBetween(250L, 2000L);
        }
        Rig.await("counted", () -> rig.lb.listener("front").counters().terminated(Termination.MAX_AGE) == 1, 2000);
    }

    @Test
    void aDrainedSessionWhoseServerIsStillSendingEndsWithACleanEndToTheServerNotAReset() throws Exception {
        // the server sends more than its client takes (it reads nothing): at the drain's close bytes the server
        // sent are unread in niolb's socket, where a bare close would answer with a reset alone
        final java.util.concurrent.CompletableFuture<String> serverSaw = new java.util.concurrent.CompletableFuture<>();
        final dev.niolb.testing.TcpServers.Scripted sending = rig.track(new dev.niolb.testing.TcpServers.Scripted(
            socket -> {
                Thread.ofVirtual().start(() -> {
                    try {
                        socket.getOutputStream().write(new byte[8 << 20]); // blocks once every buffer is full
                    } catch (final java.io.IOException ended) {
                        // the session is over
                    }
                });
                try {
                    serverSaw.complete(socket.getInputStream().read() < 0 ? "end of stream" : "a byte");
                } catch (final java.io.IOException e) {
                    serverSaw.complete(e.toString());
                }
            }));
        rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS.withDrain(Duration.ofMillis(100), 100),
            TcpOptions.DEFAULTS, new dev.niolb.config.ServerConfig("s", sending.address(), 1));
        try (Socket s = rig.connect()) {
            // relaying: the drain timeout that follows gives the server's bytes time to pile up in niolb
            assertThat(s.getInputStream().read()).as("relaying").isZero();
            rig.server("s").operatorMode(ServerState.DRAIN, "test");
            assertThat(serverSaw.get(10, TimeUnit.SECONDS)).as("the server's read at the session's end")
                .isEqualTo("end of stream");
        }
        Rig.await("counted", () -> rig.lb.listener("front").counters().terminated(Termination.DRAINED) == 1, 2000);
    }

    @Test
    void aMaximumConnectionAgeMovesLongLivedClientsOntoAServerThatCameBack() throws Exception {
        rig.backend("a");
        rig.backend("b");
        rig.start(Algorithm.LEASTCONN, 1, HealthCheckConfig.DEFAULTS,
            TcpOptions.DEFAULTS.withMaxConnectionAge(Duration.ofMillis(400)), rig.config("a"), rig.config("b"));
        rig.server("a").operatorMode(ServerState.MAINT, "test");
        final AtomicBoolean running = new AtomicBoolean(true);
        final String[] current = new String[6];
        try (ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < current.length; c++) {
                final int me = c;
                clients.submit(() -> {
                    while (running.get()) { // a client that reconnects whenever its connection ends
                        try (Socket s = rig.connect()) {
                            current[me] = Rig.greeting(s);
                            s.getInputStream().read();
                        }
                    }
                    return null;
                });
            }
            Rig.await("all on b", () -> java.util.Arrays.stream(current).allMatch("b"::equals), 3000);
            rig.server("a").operatorMode(ServerState.UP, "test");
            Rig.await("half of them on a", () -> rig.server("a").active() == 3 && rig.server("b").active() == 3, 5000);
            running.set(false);
        }
    }

    @Test
    void aPacedDrainClosesTheIdlestSessionsFirstAtTheRateOnceTheDrainTimeoutIsOver() throws Exception {
        final long[] closedAt = new long[6];
        final List<Socket> sessions = sessionsOnA(1, HealthCheckConfig.DEFAULTS.withDrain(Duration.ofMillis(300), 10),
            closedAt.length);
        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            Thread.sleep(30); // the behaviour: idle times that differ, for "idlest first"
            for (int i = 3; i < 6; i++) { // the last three have just been busy: the first three are the idlest
                sessions.get(i).getOutputStream().write('x');
                assertThat(sessions.get(i).getInputStream().read()).isEqualTo('x');
            }
            for (int i = 0; i < closedAt.length; i++) {
                final int me = i;
                readers.submit(() -> {
                    assertThat(sessions.get(me).getInputStream().read()).isEqualTo(-1); // a clean end, no reset
                    closedAt[me] = System.nanoTime();
                    return null;
                });
            }
            final long drainedAt = System.nanoTime();
            rig.server("a").operatorMode(ServerState.DRAIN, "test");
            assertThat(rig.spread(4)).containsOnlyKeys("b");
            readers.shutdown();
            assertThat(readers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

            final long first = java.util.Arrays.stream(closedAt).min().orElseThrow();
            final long last = java.util.Arrays.stream(closedAt).max().orElseThrow();
            assertThat(TimeUnit.NANOSECONDS.toMillis(first - drainedAt)).as("nothing closed before the timeout")
                .isGreaterThanOrEqualTo(280);
            assertThat(TimeUnit.NANOSECONDS.toMillis(last - first)).as("six closes at 10/s").isBetween(350L, 2000L);
            assertThat(Math.max(closedAt[0], Math.max(closedAt[1], closedAt[2])))
                .as("the idle ones went first").isLessThan(Math.min(closedAt[3], Math.min(closedAt[4], closedAt[5])));
        } finally {
            for (final Socket s : sessions) {
                s.close();
            }
        }
        // a client sees its end before the loop counts it (the socket is closed first): wait for the count
        Await.until(() -> rig.lb.listener("front").counters().terminated(Termination.DRAINED) >= 6, 5_000);
        assertThat(rig.lb.listener("front").counters().terminated(Termination.DRAINED)).isEqualTo(6);
    }

    @Test
    void aPacedDrainKeepsItsRateWhateverTheNumberOfLoops() throws Exception {
        final long[] closedAt = new long[8];
        final List<Socket> sessions = sessionsOnA(2, HealthCheckConfig.DEFAULTS.withDrain(Duration.ofMillis(200), 10),
            closedAt.length);
        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < closedAt.length; i++) {
                final int me = i;
                readers.submit(() -> {
                    assertThat(sessions.get(me).getInputStream().read()).isEqualTo(-1);
                    closedAt[me] = System.nanoTime();
                    return null;
                });
            }
            rig.server("a").operatorMode(ServerState.DRAIN, "test");
            readers.shutdown();
            assertThat(readers.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            for (final Socket s : sessions) {
                s.close();
            }
        }
        final long first = java.util.Arrays.stream(closedAt).min().orElseThrow();
        final long last = java.util.Arrays.stream(closedAt).max().orElseThrow();
        // eight closes at 10/s take 0.7 s from the first to the last; two loops each closing at the rate, 0.3 s.
        // Measured where the clients see their ends: a reader that wakes late shortens the span, hence the margin
        assertThat(TimeUnit.NANOSECONDS.toMillis(last - first)).as("eight closes at 10/s over two loops")
            .isGreaterThanOrEqualTo(450);
    }

    @Test
    void aDrainedServerThatThenFailsItsChecksStillHasItsSessionsClosedAtTheDrainTimeout() throws Exception {
        final List<Socket> sessions = sessionsOnA(1, HealthCheckConfig.DEFAULTS.withDrain(Duration.ofMillis(200), 0),
            3);
        try {
            for (final Socket s : sessions) {
                s.setSoTimeout(10_000);
            }
            rig.server("a").operatorMode(ServerState.DRAIN, "test");
            rig.server("a").health(false, "test: checks fail"); // shows DOWN now; the drain goes on

            assertThat(rig.server("a").state()).isEqualTo(ServerState.DOWN);
            for (final Socket s : sessions) {
                assertThat(s.getInputStream().read()).as("closed at the drain timeout").isEqualTo(-1);
            }
        } finally {
            for (final Socket s : sessions) {
                s.close();
            }
        }
        Await.until(() -> rig.lb.listener("front").counters().terminated(Termination.DRAINED) == 3, 5_000);
    }

    @Test
    void withCloseOnDownAServerThatGoesDownHasItsSessionsClosedAtOnce() throws Exception {
        final List<Socket> sessions = sessionsOnA(1, HealthCheckConfig.DEFAULTS.withCloseOnDown(true), 2);
        try {
            rig.server("a").health(false, "test: checks fail");

            for (final Socket s : sessions) {
                s.setSoTimeout(5_000);
                assertThat(s.getInputStream().read()).as("closed as its server went DOWN").isEqualTo(-1);
            }
            Await.until(() -> rig.lb.listener("front").counters().terminated(Termination.SERVER_DOWN) == 2, 5_000);
        } finally {
            for (final Socket s : sessions) {
                s.close();
            }
        }
    }

    @Test
    void withoutCloseOnDownAServerThatGoesDownKeepsItsSessions() throws Exception {
        final List<Socket> sessions = sessionsOnA(1, HealthCheckConfig.DEFAULTS, 1);
        try {
            rig.server("a").health(false, "test: checks fail");
            final Socket s = sessions.getFirst();
            s.getOutputStream().write('x');
            s.setSoTimeout(5_000);
            assertThat(s.getInputStream().read()).as("still relayed").isEqualTo('x');
        } finally {
            for (final Socket s : sessions) {
                s.close();
            }
        }
    }

    @Test
    void aDrainMovedOnToMaintSaysItsDrainTimeoutNoLongerAppliesAndKeepsTheSessions() throws Exception {
        final List<Socket> sessions = sessionsOnA(1, HealthCheckConfig.DEFAULTS.withDrain(Duration.ofSeconds(1), 0),
            2);
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            rig.server("a").operatorMode(ServerState.DRAIN, "test");
            rig.server("a").operatorMode(ServerState.MAINT, "test: escalated");

            // it went without a word: the operator could not tell the bound set was lifted (session 34)
            Await.until(() -> log.messages().stream().anyMatch(m -> m.contains("its drain timeout no longer "
                + "applies")), 5_000);
            assertThat(log.messages()).filteredOn(m -> m.contains("no longer applies")).singleElement().asString()
                .startsWith("server g/a MAINT: its drain timeout no longer applies; its 2 sessions go on");
            for (final Socket s : sessions) {
                s.setSoTimeout(1_500); // past the drain timeout: MAINT keeps them
                assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(java.net.SocketTimeoutException.class);
            }
        } finally {
            for (final Socket s : sessions) {
                s.close();
            }
        }
    }

    /**
     * Starts niolb over backends a and b with {@code health}, opens {@code count} sessions that all land on a
     * (b in MAINT meanwhile, then back UP) and returns them; the caller closes them.
     */
    @Test
    void aReloadThatRaisesTheRateOfADrainUnderWayKeepsItsTimeoutFromWhenTheDrainBegan() throws Exception {
        final HealthCheckConfig slow = HealthCheckConfig.DEFAULTS.withDrain(Duration.ofSeconds(3), 5);
        final List<Socket> sessions = sessionsOnA(1, slow, 3);
        try {
            final long drainedAt = System.nanoTime();
            rig.server("a").operatorMode(ServerState.DRAIN, "test");
            Thread.sleep(2000); // the behaviour: a reload two seconds into a three-second drain timeout
            rig.lb.reload(Config.single(1, Duration.ofSeconds(2),
                new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(rig.config("a"), rig.config("b")),
                    slow.withDrain(Duration.ofSeconds(3), 10))).withTransport(rig.lb.config().transport()));

            sessions.getFirst().setSoTimeout(10_000);
            assertThat(sessions.getFirst().getInputStream().read()).as("closed by the drain").isEqualTo(-1);
            // counted from the reload, the first close came 3 s after it: 5 s after the drain began
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainedAt)).isLessThan(4500);
        } finally {
            for (final Socket s : sessions) {
                s.close();
            }
        }
    }

    private List<Socket> sessionsOnA(final int threads, final HealthCheckConfig health, final int count)
        throws Exception {
        rig.backend("a");
        rig.backend("b");
        rig.start(Algorithm.ROUNDROBIN, threads, health, rig.config("a"), rig.config("b"));
        rig.server("b").operatorMode(ServerState.MAINT, "test");
        final List<Socket> sessions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            final Socket s = rig.connect();
            sessions.add(s);
            assertThat(Rig.greeting(s)).isEqualTo("a");
        }
        rig.server("b").operatorMode(ServerState.UP, "test");
        return sessions;
    }
}
