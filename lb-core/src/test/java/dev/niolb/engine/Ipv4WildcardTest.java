package dev.niolb.engine;

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
import dev.niolb.testing.LoopbackV6;
import dev.niolb.testing.Ports;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A listener on {@code 0.0.0.0} is IPv4's, on every transport: the JDK opens dual-stack sockets by default, which
 * would also serve IPv6 clients an operator never opened the service to (nginx and HAProxy bind 0.0.0.0 as IPv4).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class Ipv4WildcardTest {
    @RegisterExtension
    final EngineRig rig;

    Ipv4WildcardTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @BeforeEach
    void ipv6Loopback() {
        final String why = LoopbackV6.whyNoLoopback();
        assumeTrue(why == null, why);
    }

    @Test
    void aTcpListenerOnTheIpv4WildcardServesIpv4ClientsAndRefusesIpv6Ones() throws Exception {
        final EchoServer echo = rig.track(new EchoServer("hi"));
        final int port = Ports.freeForTcpAndUdp();
        final LoadBalancer lb = onIpv4Wildcard(Protocol.TCP, port, echo.address());

        assertThat(lb.localAddress("front")).isEqualTo(new InetSocketAddress("0.0.0.0", port));
        try (Socket v4 = new Socket("127.0.0.1", port)) {
            assertThat(v4.getInputStream().read()).as("served").isEqualTo('h');
        }
        assertThatThrownBy(() -> {
            try (Socket v6 = new Socket()) {
                v6.connect(new InetSocketAddress("::1", port), 2000);
            }
        }).isInstanceOf(ConnectException.class);
    }

    @Test
    void aUdpListenerOnTheIpv4WildcardAnswersIpv4ClientsAndNotIpv6Ones() throws Exception {
        final UdpEchoServer echo = rig.track(new UdpEchoServer("u"));
        final int port = Ports.freeForTcpAndUdp();
        final LoadBalancer lb = onIpv4Wildcard(Protocol.UDP, port, echo.address());

        assertThat(lb.localAddress("front")).isEqualTo(new InetSocketAddress("0.0.0.0", port));
        try (UdpClient v4 = new UdpClient(new InetSocketAddress("127.0.0.1", port), "127.0.0.1");
             UdpClient v6 = new UdpClient(new InetSocketAddress("::1", port), "::1")) {
            assertThat(v4.ask("one")).isEqualTo("u:one");
            assertThat(askOrRefused(v6)).as("no IPv6 client is served").isNull();
        }
    }

    /** niolb with one listener, "front", on 0.0.0.0:{@code port}, in front of {@code server}. */
    private LoadBalancer onIpv4Wildcard(final Protocol protocol, final int port, final InetSocketAddress server)
        throws IOException {
        return rig.start(Config.single(1, Duration.ZERO,
            new ListenerConfig("front", protocol, new InetSocketAddress("0.0.0.0", port), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server, 1)))));
    }

    private static String askOrRefused(final UdpClient client) throws IOException {
        try {
            return client.ask("two");
        } catch (final java.net.PortUnreachableException refused) {
            return null;
        }
    }
}
