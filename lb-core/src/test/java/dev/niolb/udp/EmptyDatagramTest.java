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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 17, item 6: an empty datagram from a client. The epoll transport relays it as any other (black-box
 * testing, session 29: it was dropped there too); the JDK's connected DatagramChannel cannot send one, so on nio it
 * is counted as dropped ({@link UdpListenerCounters#DROPPED_EMPTY}), never lost silently, and opens no flow.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EveryTransport
class EmptyDatagramTest {
    @RegisterExtension
    final EngineRig rig;
    private UdpEchoServer server;
    private LoadBalancer lb;

    EmptyDatagramTest(final TestedTransport transport) {
        rig = new EngineRig(transport);
    }

    @BeforeEach
    void start() throws Exception {
        server = rig.track(new UdpEchoServer("s"));
        lb = rig.start(Config.single(1, Duration.ZERO,
            new ListenerConfig("front", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", server.address(), 1)))));
    }

    private UdpListenerCounters counters() {
        return lb.udpListener("front").counters();
    }

    /** The epoll transport sends an empty datagram; the JDK's connected DatagramChannel cannot. */
    private boolean sendsEmpty() {
        return lb.udpListener("front").transport().sendsEmptyDatagrams();
    }

    @Test
    void anEmptyDatagramFromANewClientIsRelayedWhereTheTransportCanElseCountedAndOpensNoFlow() throws Exception {
        try (UdpClient client = new UdpClient(lb.localAddress("front"))) {
            client.send(new byte[0]);
            if (sendsEmpty()) {
                assertThat(client.receiveText(5000)).as("the server's answer to nothing").isEqualTo("s:");
                assertThat(counters().get(UdpListenerCounters.DROPPED_EMPTY)).isZero();
            } else {
                Await.until(() -> counters().get(UdpListenerCounters.DROPPED_EMPTY) == 1, 5000);
                assertThat(counters().flows()).isZero();
            }
            assertThat(client.ask("after")).as("the client's next datagram").isEqualTo("s:after");
            assertThat(counters().flows()).as("one flow either way").isEqualTo(1);
            assertThat(server.received()).isEqualTo(sendsEmpty() ? 2 : 1);
        }
    }

    @Test
    void anEmptyDatagramOnAnOpenFlowIsRelayedWhereTheTransportCanElseCountedAndTheFlowGoesOn() throws Exception {
        try (UdpClient client = new UdpClient(lb.localAddress("front"))) {
            assertThat(client.ask("one")).isEqualTo("s:one");
            client.send(new byte[0]);
            if (sendsEmpty()) {
                assertThat(client.receiveText(5000)).isEqualTo("s:");
            } else {
                Await.until(() -> counters().get(UdpListenerCounters.DROPPED_EMPTY) == 1, 5000);
            }
            assertThat(client.ask("two")).isEqualTo("s:two");
            assertThat(counters().flows()).isEqualTo(1);
            assertThat(counters().datagramsIn()).isEqualTo(sendsEmpty() ? 3 : 2);
            assertThat(server.received()).isEqualTo(sendsEmpty() ? 3 : 2);
        }
    }
}
