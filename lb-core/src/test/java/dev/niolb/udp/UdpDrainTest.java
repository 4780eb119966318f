package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.session.SessionInfo;
import dev.niolb.session.Termination;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.Await;
import dev.niolb.testing.ChannelClient;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The paced drain closes a drained server's UDP flows as it closes TCP sessions: none before the drain timeout,
 * then at the drain rate, the idlest first; each client's next datagram opens a flow to another server.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class UdpDrainTest {
    private static final String FRONT = "front";

    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    UdpDrainTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private Server server(final String name) {
        return lb.group("g").snapshot().server(name);
    }

    @Test
    void aDrainedServersFlowsCloseIdlestFirstAtTheDrainRateOnceTheDrainTimeoutIsOver() throws Exception {
        final UdpEchoServer a = rig.track(new UdpEchoServer("a"));
        final UdpEchoServer b = rig.track(new UdpEchoServer("b"));
        lb = rig.start(Config.single(1, Duration.ofSeconds(5),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("a", a.address(), 1), new ServerConfig("b", b.address(), 1)),
                HealthCheckConfig.DEFAULTS.withDrain(Duration.ofMillis(300), 10))));
        final InetSocketAddress front = lb.localAddress(FRONT);
        server("b").operatorMode(ServerState.MAINT, "test");
        final List<ChannelClient> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) { // six client sources, 127.0.0.2 .. 127.0.0.7, all on a
            final ChannelClient c = rig.track(new ChannelClient(front, "127.0.0." + (2 + i)));
            clients.add(c);
            assertThat(c.ask("hello")).isEqualTo("a:hello");
        }
        server("b").operatorMode(ServerState.UP, "test");
        // the loop clock has millisecond steps: let it move on, so that the last three are surely the more recent
        final long quietFrom = System.nanoTime();
        Await.until(() -> System.nanoTime() - quietFrom > TimeUnit.MILLISECONDS.toNanos(30), 1000);
        for (int i = 3; i < 6; i++) {
            assertThat(clients.get(i).ask("busy")).isEqualTo("a:busy");
        }
        final Map<InetSocketAddress, Integer> index = new HashMap<>();
        for (int i = 0; i < clients.size(); i++) {
            index.put(clients.get(i).localAddress(), i);
        }
        assertThat(flowsOnA(index)).hasSize(6);

        final long drainedAt = System.nanoTime();
        server("a").operatorMode(ServerState.DRAIN, "test");
        final long[] closedAt = new long[6];
        Await.until(() -> {
            final Set<Integer> open = flowsOnA(index);
            final long now = System.nanoTime();
            for (int i = 0; i < closedAt.length; i++) {
                if (closedAt[i] == 0 && !open.contains(i)) {
                    closedAt[i] = now;
                }
            }
            return open.isEmpty();
        }, 10_000);

        final long first = java.util.Arrays.stream(closedAt).min().orElseThrow();
        final long last = java.util.Arrays.stream(closedAt).max().orElseThrow();
        assertThat(TimeUnit.NANOSECONDS.toMillis(first - drainedAt)).as("nothing closed before the timeout")
            .isGreaterThanOrEqualTo(280);
        assertThat(TimeUnit.NANOSECONDS.toMillis(last - first)).as("six closes at 10/s").isBetween(350L, 2000L);
        assertThat(Math.max(closedAt[0], Math.max(closedAt[1], closedAt[2])))
            .as("the idle ones went first").isLessThan(Math.min(closedAt[3], Math.min(closedAt[4], closedAt[5])));
        assertThat(lb.udpListener(FRONT).counters().terminated(Termination.DRAINED)).isEqualTo(6);
        assertThat(server("a").active()).isZero();
        assertThat(clients.getFirst().ask("again")).as("a new flow, to the server in service").isEqualTo("b:again");
    }

    /** Which of the test's clients have a flow on server a now, by their index. */
    private Set<Integer> flowsOnA(final Map<InetSocketAddress, Integer> index) {
        return lb.sessions().stream()
            .filter(s -> "a".equals(s.server()))
            .map(SessionInfo::client)
            .filter(index::containsKey)
            .map(index::get)
            .collect(Collectors.toSet());
    }
}
