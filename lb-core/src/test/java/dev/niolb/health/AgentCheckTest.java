package dev.niolb.health;

import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.TcpServers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** The agent check end to end: a server's agent reports its state and weight and niolb follows. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class AgentCheckTest {
    @RegisterExtension
    final EngineRig engine;
    private final Rig rig;

    AgentCheckTest(final TestedTransport transport) {
        engine = new EngineRig(transport);
        rig = new Rig(engine);
    }

    @Test
    void anAgentReportingHalfWeightThenDrainThenReadyIsFollowed() throws Exception {
        final AtomicReference<String> says = new AtomicReference<>("up 100%");
        final TcpServers.Scripted agent = rig.track(agent(says::get));
        startBehind(agent, Algorithm.WEIGHTED);
        final Server a = rig.server("a");

        says.set("up 50%");
        Rig.await("a at 50%", () -> a.effectiveWeight() == Server.WEIGHT_SCALE / 2, 3000);
        assertThat(a.state()).isEqualTo(ServerState.UP);
        assertThat(rig.spread(90).get("a")).as("a's share at half b's weight").isBetween(28, 32);

        says.set("drain");
        Rig.await("a draining", () -> a.state() == ServerState.DRAIN, 3000);
        assertThat(rig.spread(20)).containsOnlyKeys("b");

        says.set("ready 100%");
        Rig.await("a back", () -> a.effectiveWeight() == Server.WEIGHT_SCALE, 3000);
        assertThat(rig.spread(20).get("a")).isBetween(9, 11);
        // b's agent never answered: that alone changes nothing
        assertThat(rig.server("b").state()).isEqualTo(ServerState.UP);
    }

    @Test
    void anAgentCheckMovedToAnotherPortByAReloadForgetsTheOldAgentsWord() throws Exception {
        final TcpServers.Scripted agent = rig.track(agent(() -> "maint"));
        final HealthCheckConfig health = startBehind(agent, Algorithm.ROUNDROBIN);
        final Server a = rig.server("a");
        Rig.await("a in maintenance by its agent", () -> a.state() == ServerState.MAINT, 3000);

        // another agent's port, where nothing answers: the old agent's MAINT held for good (session 34)
        rig.lb.reload(Config.single(1, Duration.ofSeconds(2),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(rig.config("a"), rig.config("b")),
                health.withChecks(List.of(new CheckSpec.Agent(unusedPort()))))).withTransport(rig.lb.config().transport()));

        Rig.await("a back in service", () -> a.state() == ServerState.UP, 3000);
    }

    private static int unusedPort() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    @Test
    void anAgentAskingForMoreThanAHundredPercentGetsItAsHaproxyGives() throws Exception {
        final AtomicReference<String> says = new AtomicReference<>("up 100%");
        final TcpServers.Scripted agent = rig.track(agent(says::get));
        startBehind(agent, Algorithm.WEIGHTED);
        final Server a = rig.server("a");

        says.set("up 300%");
        Rig.await("a at 300%", () -> a.effectiveWeight() == 3 * Server.WEIGHT_SCALE, 3000);
        assertThat(rig.spread(40).get("a")).as("a's share at three times b's weight").isEqualTo(30);
    }

    @Test
    void anAgentAnswerNiolbCannotReadIsSaidToBeOneNotSilenceAndItsNextGoodWordIsSaidAgain() throws Exception {
        final AtomicReference<String> says = new AtomicReference<>("-5%");
        final TcpServers.Scripted agent = rig.track(agent(says::get));
        rig.backend("a");
        try (dev.niolb.testing.LogCapture log = dev.niolb.testing.LogCapture.of("dev.niolb.health")) {
            rig.start(Algorithm.ROUNDROBIN, 1, HealthCheckConfig.DEFAULTS
                .withChecks(List.of(new CheckSpec.Agent(agent.address().getPort()))).withInterval(Duration.ofMillis(30)),
                rig.config("a"));
            Rig.await("the unreadable answer said", () -> log.messages().stream().anyMatch(m -> m.startsWith(
                "server g/a: no answer niolb can use from its agent at 127.0.0.1:" + agent.address().getPort()
                    + " (agent said nothing niolb understands: '-5%\\n'); its last word stands")), 3000);
            says.set("up 50%");
            Rig.await("the good one said", () -> log.messages().contains("server g/a: its agent answers again: 'up 50%'"),
                3000);
        }
    }

    @Test
    void anAgentSayingDownTakesTheServerDownUntilItSaysUp() throws Exception {
        final AtomicReference<String> says = new AtomicReference<>("down # disk full");
        final TcpServers.Scripted agent = rig.track(agent(says::get));
        startBehind(agent, Algorithm.ROUNDROBIN);
        Rig.await("a DOWN", () -> rig.server("a").state() == ServerState.DOWN, 3000);
        assertThat(rig.spread(6)).containsOnlyKeys("b");
        says.set("up");
        Rig.await("a UP", () -> rig.server("a").state() == ServerState.UP, 3000);
    }

    @Test
    void whatAnAgentSaidNoLongerHoldsOnceAReloadRemovesItsCheck() throws Exception {
        final TcpServers.Scripted agent = rig.track(agent(() -> "maint 10%"));
        startBehind(agent, Algorithm.ROUNDROBIN);
        final Server a = rig.server("a");
        Rig.await("a in MAINT", () -> a.state() == ServerState.MAINT, 3000);

        rig.lb.reload(Config.single(1, Duration.ofSeconds(2),
            new ListenerConfig("front", Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(rig.config("a"), rig.config("b")),
                HealthCheckConfig.DEFAULTS)));

        Rig.await("a back in service", () -> a.state() == ServerState.UP, 3000);
        assertThat(a.agentPercent()).isEqualTo(100);
        assertThat(rig.spread(20)).containsOnlyKeys("a", "b");
    }

    /** An agent that answers each connection with what {@code says} gives then, and a line break. */
    /**
     * Starts servers a (on 127.0.0.1, where {@code agent} listens) and b (on 127.0.0.2, where nothing answers at
     * that port) behind {@code balance}, checked by the agent every 30 ms; the health config they run with.
     */
    private HealthCheckConfig startBehind(final TcpServers.Scripted agent, final Algorithm balance) throws Exception {
        rig.backend("a");
        rig.backend("b", new InetSocketAddress("127.0.0.2", 0));
        final HealthCheckConfig health = HealthCheckConfig.DEFAULTS
            .withChecks(List.of(new CheckSpec.Agent(agent.address().getPort())))
            .withInterval(Duration.ofMillis(30));
        rig.start(balance, 1, health, rig.config("a"), rig.config("b"));
        return health;
    }

    private TcpServers.Scripted agent(final java.util.function.Supplier<String> says) throws IOException {
        return new TcpServers.Scripted(s -> {
            try {
                s.getOutputStream().write((says.get() + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
