package dev.niolb.health;

import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.HealthCheckConfig;
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
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks run on their own loop: a check stuck on a hanging server holds up no session. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class CheckIsolationTest {
    @RegisterExtension
    final EngineRig engine;
    private final Rig rig;

    CheckIsolationTest(final TestedTransport transport) {
        engine = new EngineRig(transport);
        rig = new Rig(engine);
    }

    @Test
    void aCheckToAHangingServerDoesNotDelaySessionsOnTheRelayLoop() throws Exception {
        final AtomicInteger hung = new AtomicInteger();
        final TcpServers.Scripted hanging = rig.track(new TcpServers.Scripted(s -> {
            try {
                hung.incrementAndGet();
                TcpServers.readUntilPeerEnds(s.getInputStream()); // reads the request, never answers
            } catch (final IOException e) {
                throw new UncheckedIOException(e);
            }
        }));
        final List<TcpServers.BlackHole> holes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            holes.add(rig.track(new TcpServers.BlackHole()));
        }
        rig.backend("web");
        final List<dev.niolb.config.ServerConfig> servers = new ArrayList<>();
        servers.add(rig.config("web", false, hanging.address().getPort()));
        for (int i = 0; i < holes.size(); i++) { // more checks stuck in connect, never accepted
            rig.backend("hole" + i);
            servers.add(rig.config("hole" + i, false, holes.get(i).address().getPort()));
        }
        final HealthCheckConfig health = HealthCheckConfig.DEFAULTS.withChecks(List.of(CheckSpec.parse("http:/")))
            .withInterval(Duration.ofMillis(20)).withTimeout(Duration.ofSeconds(6)).withFall(100);
        rig.start(Algorithm.ROUNDROBIN, 1, health, servers.toArray(dev.niolb.config.ServerConfig[]::new));
        Rig.await("a check hanging", () -> hung.get() == 1, 3000);

        long worstNanos = 0;
        final long began = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            final long start = System.nanoTime();
            try (Socket s = rig.connect()) {
                Rig.greeting(s);
                s.getOutputStream().write('x');
                assertThat(s.getInputStream().read()).isEqualTo('x');
            }
            worstNanos = Math.max(worstNanos, System.nanoTime() - start);
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
        assertThat(tookMs).as("200 sessions while the checks hang").isLessThan(3000);
        assertThat(TimeUnit.NANOSECONDS.toMillis(worstNanos)).as("slowest session").isLessThan(500);
        assertThat(hung.get()).as("the first check was still hanging all along").isEqualTo(1);
        assertThat(rig.server("web").state()).isEqualTo(ServerState.UP);
    }
}
