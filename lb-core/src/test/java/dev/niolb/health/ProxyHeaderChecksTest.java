package dev.niolb.health;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.CheckSpec;
import dev.niolb.config.Config;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.SendProxy;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.HeaderEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Active checks of a {@code send-proxy} server open with a PROXY header, as HAProxy's do: a server that expects one
 * (nginx {@code proxy_protocol}, Postfix …) refuses anything else and would be taken DOWN. v1 carries the check
 * connection's addresses, v2 is a LOCAL command; checks sent to a {@code check-port} carry none.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class ProxyHeaderChecksTest {
    @RegisterExtension
    final EngineRig rig;
    private LoadBalancer lb;

    ProxyHeaderChecksTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void checksOfASendProxyServerOpenWithTheServersHeader() throws Exception {
        final HeaderEchoServer server = rig.track(new HeaderEchoServer());
        final HeaderEchoServer checkPort = rig.track(new HeaderEchoServer());
        final InetSocketAddress at = server.address();
        final List<ListenerConfig> listeners = new ArrayList<>();
        final List<TargetGroupConfig> groups = new ArrayList<>();
        // what HeaderEchoServer answers first: "proxied …" for v1, "local" for v2 LOCAL, "no header" otherwise
        group("v1", new ServerConfig("v1", at, 1, false, 0, SendProxy.V1), "proxied 127.0.0.1:", listeners, groups);
        group("v2", new ServerConfig("v2", at, 1, false, 0, SendProxy.V2), "local", listeners, groups);
        group("none", new ServerConfig("none", at, 1, false, 0, SendProxy.NONE), "proxied", listeners, groups);
        group("port", new ServerConfig("port", at, 1, false, checkPort.address().getPort(), SendProxy.V2), "no header",
            listeners, groups);
        lb = rig.start(new Config(1, Duration.ofSeconds(1), listeners, groups));

        Rig.await("the check expecting a header where none is sent fails", () -> server("none").state()
            == ServerState.DOWN, 5000);
        Rig.await("every other check has passed a few times", () -> server.accepted() >= 8
            && checkPort.accepted() >= 2, 5000);
        for (final String name : List.of("v1", "v2", "port")) {
            assertThat(server(name).state()).as(name).isEqualTo(ServerState.UP);
            assertThat(server(name).healthy()).as(name).isTrue();
        }
    }

    private static void group(final String name, final ServerConfig server, final String expect,
                              final List<ListenerConfig> listeners, final List<TargetGroupConfig> groups) {
        listeners.add(new ListenerConfig(name, Protocol.TCP, new InetSocketAddress("127.0.0.1", 0), name,
            TcpOptions.DEFAULTS));
        groups.add(new TargetGroupConfig(name, Algorithm.ROUNDROBIN, List.of(server), HealthCheckConfig.DEFAULTS
            .withInterval(Duration.ofMillis(50)).withRise(1).withFall(1)
            .withChecks(List.of(CheckSpec.parse("send:PING,expect:" + expect)))));
    }

    private Server server(final String group) {
        return lb.group(group).snapshot().servers()[0];
    }
}
