package dev.niolb.tcp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code source} balancing through real sockets, with distinct client addresses 127.0.0.2, 127.0.0.3 … */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EveryTransport
class SourceAffinityTest {
    @RegisterExtension
    final EngineRig rig;

    SourceAffinityTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    private List<EchoServer> servers(final int n) throws IOException {
        final List<EchoServer> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(rig.track(new EchoServer("server-" + i)));
        }
        return list;
    }

    private LoadBalancer start(final List<EchoServer> servers) throws IOException {
        final List<ServerConfig> configs = new ArrayList<>();
        for (int i = 0; i < servers.size(); i++) {
            configs.add(new ServerConfig("server-" + i, servers.get(i).address(), 1));
        }
        return rig.start(Config.single(2, Duration.ZERO,
            new ListenerConfig(new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.SOURCE, configs)));
    }

    /** Which server greets a client connecting from {@code clientIp}. */
    private static String servedBy(final LoadBalancer lb, final String clientIp) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(clientIp, 0));
            s.connect(lb.localAddresses().getFirst(), 2000);
            s.setSoTimeout(5000);
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    @Test
    void aClientAddressKeepsItsServerOverManyConnectionsAndBothLoops() throws Exception {
        final LoadBalancer lb = start(servers(3));
        final Map<String, String> first = new HashMap<>();
        for (int round = 0; round < 5; round++) {
            for (int i = 2; i < 22; i++) {
                final String ip = "127.0.0." + i;
                final String server = servedBy(lb, ip);
                assertThat(server).startsWith("server-");
                final String earlier = first.putIfAbsent(ip, server);
                if (earlier != null) {
                    assertThat(server).as("client %s", ip).isEqualTo(earlier);
                }
            }
        }
        assertThat(new HashSet<>(first.values())).hasSizeGreaterThan(1); // 20 clients do not all hash to one
    }

    @Test
    void twoIndependentInstancesSendEveryClientToTheSameServer() throws Exception {
        final List<EchoServer> servers = servers(4);
        final LoadBalancer one = start(servers);
        final LoadBalancer two = start(servers);
        for (int i = 2; i < 30; i++) {
            final String ip = "127.0.0." + i;
            assertThat(servedBy(two, ip)).as("client %s", ip).isEqualTo(servedBy(one, ip));
        }
    }
}
