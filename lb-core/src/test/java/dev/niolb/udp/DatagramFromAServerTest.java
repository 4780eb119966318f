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
import dev.niolb.testing.RawUdp;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
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

    private static ListenerConfig udp(final String name, final String bind, final String group) {
        return new ListenerConfig(name, Protocol.UDP, new InetSocketAddress(bind, 0), group, TcpOptions.DEFAULTS);
    }

    @Test
    void aDatagramFromAnotherGroupsServerIsCountedAndOpensNoFlow() throws Exception {
        // the check looked at the listener's own group only: g2's echoing server looped through g1's listener
        final UdpEchoServer one = rig.track(new UdpEchoServer("one"));
        try (DatagramSocket two = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            final LoadBalancer niolb = rig.start(new Config(1, Duration.ZERO,
                List.of(udp("a", "127.0.0.1", "g1"), udp("b", "127.0.0.1", "g2")),
                List.of(new TargetGroupConfig("g1", Algorithm.ROUNDROBIN, List.of(new ServerConfig("one", one.address(), 1))),
                    new TargetGroupConfig("g2", Algorithm.ROUNDROBIN,
                        List.of(new ServerConfig("two", (InetSocketAddress) two.getLocalSocketAddress(), 1))))));
            final byte[] who = "who?".getBytes(StandardCharsets.UTF_8);
            two.send(new DatagramPacket(who, who.length, niolb.localAddress("a")));
            assertDroppedWithNoFlow(niolb.udpListener("a").counters(), one);
        }
    }

    @Test
    void aDatagramFromAnotherUdpListenersAddressIsCountedAndOpensNoFlow() throws Throwable {
        // spoofed from listener b's port: a's flow would answer b, b's flow a, for ever
        final UdpEchoServer echo = rig.track(new UdpEchoServer("s"));
        final LoadBalancer niolb = rig.start(new Config(1, Duration.ZERO,
            List.of(udp("a", "127.0.0.1", "g"), udp("b", "127.0.0.1", "g")),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1))))));
        RawUdp.send(niolb.localAddress("b").getPort(), loopback(), niolb.localAddress("a").getPort(), "loop");
        assertDroppedWithNoFlow(niolb.udpListener("a").counters(), echo);
    }

    @Test
    void aDatagramFromAWildcardListenersOwnPortAtAnotherLocalAddressIsCountedAndOpensNoFlow() throws Throwable {
        // from 127.0.0.1:P to 127.0.0.2:P, both this 0.0.0.0:P listener's: its replies would come back to it
        final UdpEchoServer echo = rig.track(new UdpEchoServer("s"));
        final LoadBalancer niolb = rig.start(new Config(1, Duration.ZERO, List.of(udp("any", "0.0.0.0", "g")),
            List.of(new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1))))));
        final int port = niolb.localAddress("any").getPort();
        RawUdp.send(port, (Inet4Address) InetAddress.getByName("127.0.0.2"), port, "loop");
        assertDroppedWithNoFlow(niolb.udpListener("any").counters(), echo);
    }

    @Test
    void aProxyHeaderNamingAServersAddressIsServedSinceRepliesGoToItsProxy() throws Exception {
        // the header's client was checked too: a client behind a trusted proxy was refused, though no loop can be
        final UdpEchoServer echo = rig.track(new UdpEchoServer("s"));
        final LoadBalancer niolb = rig.start(Config.single(1, Duration.ZERO,
            udp("front", "127.0.0.1", "g").withAcceptProxy(dev.niolb.config.AcceptProxy.fromAnyPeer()),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1)))));
        final java.nio.ByteBuffer header = dev.niolb.proxyprotocol.ProxyHeaderEncoder.v2(echo.address(),
            niolb.localAddress("front"), dev.niolb.proxyprotocol.ProxyHeader.Transport.DGRAM);
        final byte[] datagram = new byte[header.remaining() + 2];
        header.get(datagram, 0, header.remaining());
        datagram[datagram.length - 2] = 'h';
        datagram[datagram.length - 1] = 'i';
        try (UdpClient proxy = new UdpClient(niolb.localAddress("front"), "127.0.0.2")) {
            proxy.send(datagram);
            assertThat(proxy.receiveText(5000)).isEqualTo("s:hi");
        }
        assertThat(niolb.udpListener("front").counters().get(UdpListenerCounters.DROPPED_FROM_SERVER)).isZero();
    }

    /** The datagram is counted from_server, and no flow took it to {@code server}. */
    private static void assertDroppedWithNoFlow(final UdpListenerCounters counters, final UdpEchoServer server)
        throws Exception {
        Await.until(() -> counters.get(UdpListenerCounters.DROPPED_FROM_SERVER) == 1, 5000);
        assertThat(counters.flows()).isZero();
        assertThat(server.received()).isZero();
    }

    private static Inet4Address loopback() throws java.net.UnknownHostException {
        return (Inet4Address) InetAddress.getByName("127.0.0.1");
    }
}
