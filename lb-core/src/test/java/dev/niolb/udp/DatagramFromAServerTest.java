package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.testing.Await;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A datagram from the address of one of the group's servers opens no flow: the flow would send that server's
 * replies back to it, and an echoing server's answers would keep it alive for ever (black-box testing, session 29:
 * one spoofed datagram, 175,000 a second between niolb and the server, and a stop held for its grace).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class DatagramFromAServerTest {
    @RegisterExtension
    final EngineRig rig;

    DatagramFromAServerTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void aDatagramFromAServersAddressIsCountedAndOpensNoFlow() throws Exception {
        final UdpEchoServer echo = rig.track(new UdpEchoServer("s"));
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            // the second server: weight 0, so no client is sent to it, but its address is the group's
            final LoadBalancer niolb = rig.start(Config.single(1, Duration.ZERO,
                new ListenerConfig("front", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g",
                    TcpOptions.DEFAULTS),
                new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1),
                    new ServerConfig("looping", (InetSocketAddress) server.getLocalSocketAddress(), 0)))));
            final UdpListenerCounters counters = niolb.udpListener("front").counters();
            final byte[] who = "who?".getBytes(StandardCharsets.UTF_8);
            server.send(new DatagramPacket(who, who.length, niolb.localAddress("front")));
            Await.until(() -> counters.get(UdpListenerCounters.DROPPED_FROM_SERVER) == 1, 5000);
            try (UdpClient client = new UdpClient(niolb.localAddress("front"))) {
                assertThat(client.ask("after")).as("other clients are served").isEqualTo("s:after");
            }
            assertThat(counters.flows()).as("the client's flow only").isEqualTo(1);
            assertThat(echo.received()).isEqualTo(1);
        }
    }
}
