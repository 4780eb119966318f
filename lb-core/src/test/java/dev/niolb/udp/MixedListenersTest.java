package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.Ports;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** One engine with a TCP and a UDP listener on the same port number, each in front of its own group. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class MixedListenersTest {
    @RegisterExtension
    final EngineRig rig;

    MixedListenersTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void aTcpAndAUdpListenerShareOnePortNumberAndEachRelaysItsOwnProtocol() throws Exception {
        final int port = Ports.freeForTcpAndUdp();
        final InetSocketAddress front = new InetSocketAddress("127.0.0.1", port);
        try (EchoServer tcpServer = new EchoServer("tcp-backend");
             UdpEchoServer udpServer = new UdpEchoServer("udp-backend");
             LoadBalancer lb = rig.start(new Config(2, Duration.ZERO,
                 List.of(new ListenerConfig("tcp-front", Protocol.TCP, front, "tcp-group", TcpOptions.DEFAULTS),
                     new ListenerConfig("udp-front", Protocol.UDP, front, "udp-group", TcpOptions.DEFAULTS)),
                 List.of(new TargetGroupConfig("tcp-group", Algorithm.ROUNDROBIN,
                         List.of(new ServerConfig(tcpServer.address(), 1))),
                     new TargetGroupConfig("udp-group", Algorithm.ROUNDROBIN,
                         List.of(new ServerConfig(udpServer.address(), 1))))));
             UdpClient udp = new UdpClient(front);
             Socket tcp = new Socket()) {
            assertThat(lb.localAddresses()).containsExactly(front, front);

            tcp.connect(front, 2000);
            tcp.setSoTimeout(5000);
            final byte[] greeting = "tcp-backend\n".getBytes(StandardCharsets.UTF_8);
            assertThat(tcp.getInputStream().readNBytes(greeting.length)).isEqualTo(greeting);
            tcp.getOutputStream().write("over tcp".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(tcp.getInputStream().readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("over tcp");

            assertThat(udp.ask("over udp")).isEqualTo("udp-backend:over udp");
            assertThat(udp.lastSender()).isEqualTo(front);
        }
    }
}
