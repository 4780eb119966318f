package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.admission.CidrSet;
import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.EveryTransport;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A UDP listener's access list: datagrams from refused sources are dropped and counted, no flow is opened. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class UdpAccessListTest {
    @RegisterExtension
    final EngineRig rig;
    private UdpEchoServer echo;
    private LoadBalancer lb;

    UdpAccessListTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @Test
    void datagramsFromADeniedSourceAreDroppedAndCountedWhileOtherSourcesAreAnswered() throws Exception {
        echo = rig.track(new UdpEchoServer("s"));
        final ListenerConfig listener = new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0),
            "g", TcpOptions.DEFAULTS, UdpOptions.DEFAULTS)
            .withLimits(ListenerLimits.NONE.withAccess(CidrSet.EMPTY, CidrSet.parse(List.of("127.0.0.2/32"))));
        lb = rig.start(Config.single(2, Duration.ofSeconds(1), listener,
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1)))));
        final InetSocketAddress front = lb.localAddress("dns");

        try (UdpClient denied = new UdpClient(front, "127.0.0.2"); UdpClient allowed = new UdpClient(front, "127.0.0.3")) {
            denied.send("one");
            denied.send("two");
            assertThat(denied.receiveText(500)).isNull();
            assertThat(allowed.ask("three")).isEqualTo("s:three");
        }

        final UdpListenerCounters counters = lb.udpListener("dns").counters();
        assertThat(counters.get(UdpListenerCounters.DROPPED_ACL)).isEqualTo(2);
        assertThat(counters.flows()).isEqualTo(1);
        assertThat(echo.received()).isEqualTo(1);
    }

    @Test
    void behindATrustedProxyTheAccessListJudgesTheClientEachDatagramsHeaderNames() throws Exception {
        echo = rig.track(new UdpEchoServer("s"));
        final ListenerConfig listener = new ListenerConfig("dns", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0),
            "g", TcpOptions.DEFAULTS, UdpOptions.DEFAULTS, AcceptProxy.from(CidrSet.parse(List.of("127.0.0.1/32"))))
            .withLimits(ListenerLimits.NONE.withAccess(CidrSet.EMPTY, CidrSet.parse(List.of("203.0.113.0/24"))));
        lb = rig.start(Config.single(1, Duration.ofSeconds(1), listener,
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1)))));
        final InetSocketAddress front = lb.localAddress("dns");

        try (UdpClient proxy = new UdpClient(front, "127.0.0.1")) {
            proxy.send(withHeader("203.0.113.9", front, "denied"));
            assertThat(proxy.receiveText(500)).isNull();
            proxy.send(withHeader("198.51.100.7", front, "allowed"));
            assertThat(proxy.receiveText(2000)).isEqualTo("s:allowed");
        }
        assertThat(lb.udpListener("dns").counters().get(UdpListenerCounters.DROPPED_ACL)).isEqualTo(1);
        assertThat(echo.received()).isEqualTo(1);
    }

    /** A PROXY v2 DGRAM header naming {@code client}, then {@code payload}, as one datagram. */
    private static byte[] withHeader(final String client, final InetSocketAddress front, final String payload) {
        final ByteBuffer header = ProxyHeaderEncoder.v2(new InetSocketAddress(client, 5353), front,
            ProxyHeader.Transport.DGRAM);
        final byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        final byte[] datagram = new byte[header.remaining() + body.length];
        header.get(datagram, 0, header.remaining());
        System.arraycopy(body, 0, datagram, datagram.length - body.length, body.length);
        return datagram;
    }
}
