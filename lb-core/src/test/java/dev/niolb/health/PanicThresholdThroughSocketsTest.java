package dev.niolb.health;

import dev.niolb.backend.ServerState;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The panic threshold with real sockets: servers that still answer on their port but fail their active check
 * (on a check port that stops listening) go DOWN; once too few are UP, sessions reach them again.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class PanicThresholdThroughSocketsTest {
    private static final List<String> NAMES = List.of("a", "b", "c", "d", "e");

    @RegisterExtension
    final EngineRig engine;
    private final Rig rig;
    private final Map<String, ServerSocket> checkPorts = new LinkedHashMap<>();

    PanicThresholdThroughSocketsTest(final TestedTransport transport) {
        engine = new EngineRig(transport);
        rig = new Rig(engine);
    }

    /** Five greeting backends, each checked by a TCP connect to a port of its own that the test can close. */
    private void start(final int panicThreshold) throws IOException {
        final ServerConfig[] servers = new ServerConfig[NAMES.size()];
        for (int i = 0; i < servers.length; i++) {
            final String name = NAMES.get(i);
            rig.backend(name);
            final ServerSocket check = rig.track(new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress()));
            // accepted and closed: checks that are never accepted would fill the backlog and then time out
            Thread.ofVirtual().start(() -> {
                while (!check.isClosed()) {
                    try {
                        check.accept().close();
                    } catch (final IOException closed) {
                        return;
                    }
                }
            });
            checkPorts.put(name, check);
            servers[i] = rig.config(name, false, check.getLocalPort());
        }
        rig.start(Algorithm.ROUNDROBIN, 2, HealthCheckConfig.DEFAULTS.withChecks(List.of(new CheckSpec.Tcp()))
            .withInterval(Duration.ofMillis(50)).withTimeout(Duration.ofMillis(500)).withRise(1).withFall(1)
            .withPanicThreshold(panicThreshold), servers);
    }

    /** The server's check port stops listening: its checks fail while its own port still answers. */
    private void failChecks(final String name) throws Exception {
        checkPorts.get(name).close();
        Rig.await(name + " DOWN by its check", () -> rig.server(name).state() == ServerState.DOWN, 10_000);
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(rig.server(name).address(), 2000); // still serving
        }
    }

    @Test
    void withFourOfFiveServersDownByTheirChecksAndAThresholdOfFiftyPercentSessionsReachAllFive() throws Exception {
        start(50);
        failChecks("b");
        failChecks("c");
        assertThat(rig.lb.group("g").panic()).as("3 of 5 UP: 60%").isFalse();
        assertThat(rig.spread(12).keySet()).containsExactlyInAnyOrder("a", "d", "e");

        failChecks("d");
        failChecks("e");
        Rig.await("panic", () -> rig.lb.group("g").panic(), 5000);

        assertThat(rig.spread(20)).containsOnlyKeys("a", "b", "c", "d", "e");
        for (final String name : List.of("b", "c", "d", "e")) {
            assertThat(rig.server(name).state()).isEqualTo(ServerState.DOWN);
        }
    }

    @Test
    void withoutAThresholdOnlyTheUpServerGetsSessions() throws Exception {
        start(0);
        for (final String name : List.of("b", "c", "d", "e")) {
            failChecks(name);
        }

        assertThat(rig.lb.group("g").panic()).isFalse();
        assertThat(rig.spread(20)).containsOnlyKeys("a");
    }
}
