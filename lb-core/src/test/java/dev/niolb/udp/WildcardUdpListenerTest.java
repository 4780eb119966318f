package dev.niolb.udp;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.UdpOptions;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.TestedTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import dev.niolb.transport.epoll.EpollTransport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A UDP listener bound to a wildcard address answers each client from the address that client wrote to
 * ({@code IP_PKTINFO}): a client that filters replies by source (a connected socket, a DNS resolver checking
 * where its answer came from) accepts them. The epoll transport's; JDK NIO cannot choose a datagram's source
 * address, so on NIO a wildcard listener's replies leave from what routing picks (docs/OPERATIONS.md).
 */
@Timeout(30)
class WildcardUdpListenerTest {
    private static final String FRONT = "front";

    @RegisterExtension
    final EngineRig rig = new EngineRig(TestedTransport.EPOLL_SPLICE);

    @BeforeAll
    static void epollRunsHere() {
        assumeTrue(EpollTransport.isAvailable(), EpollTransport::unavailableReason);
    }

    private LoadBalancer start(final UdpEchoServer server) throws Exception {
        return rig.start(Config.single(2, Duration.ofSeconds(5),
            new ListenerConfig(FRONT, Protocol.UDP, new InetSocketAddress("0.0.0.0", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s0", server.address(), 1)))));
    }

    @Test
    void eachClientIsAnsweredFromTheAddressItWroteTo() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s0"));
        final int port = start(server).localAddress(FRONT).getPort();
        for (final String asked : List.of("127.0.0.3", "127.0.0.4")) {
            final InetSocketAddress target = new InetSocketAddress(asked, port);
            final UdpClient client = rig.track(new UdpClient(target));
            assertThat(client.ask("hello " + asked)).isEqualTo("s0:hello " + asked);
            assertThat(client.lastSender()).as("the reply's source").isEqualTo(target);
        }
    }

    @Test
    void aBurstFromManyClientsIsAnsweredCompletelyEachReplyFromTheAddressItsClientWroteTo() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s0"));
        final int port = start(server).localAddress(FRONT).getPort();
        final int clients = 12;
        final int each = 8;
        final List<UdpClient> burst = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            burst.add(rig.track(new UdpClient(new InetSocketAddress("127.0.0." + (3 + c % 2), port))));
        }
        // every client's datagrams go out before any reply is read: the loop takes them in batches and answers
        // many flows, each from its own address, in the same wake-up
        for (int i = 0; i < each; i++) {
            for (int c = 0; c < clients; c++) {
                burst.get(c).send("c" + c + " d" + i);
            }
        }
        for (int c = 0; c < clients; c++) {
            final Set<String> replies = new HashSet<>();
            for (int i = 0; i < each; i++) {
                final String reply = burst.get(c).receiveText(5000);
                assertThat(reply).as("reply %d of client %d", i, c).isNotNull();
                replies.add(reply);
                assertThat(burst.get(c).lastSender()).as("the source of client %d's reply", c)
                    .isEqualTo(new InetSocketAddress("127.0.0." + (3 + c % 2), port));
            }
            final Set<String> expected = new HashSet<>();
            for (int i = 0; i < each; i++) {
                expected.add("s0:c" + c + " d" + i);
            }
            assertThat(replies).isEqualTo(expected);
        }
    }

    @Test
    void oneClientPortWritingToTwoAddressesIsAnsweredFromEachAndHasAFlowForEach() throws Exception {
        final UdpEchoServer server = rig.track(new UdpEchoServer("s0"));
        final LoadBalancer lb = start(server);
        final int port = lb.localAddress(FRONT).getPort();
        try (java.net.DatagramSocket client = new java.net.DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            client.setSoTimeout(5000);
            for (final String asked : List.of("127.0.0.5", "127.0.0.6", "127.0.0.5")) {
                final InetSocketAddress target = new InetSocketAddress(asked, port);
                final byte[] text = ("to " + asked).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                client.send(new java.net.DatagramPacket(text, text.length, target));
                final java.net.DatagramPacket reply = new java.net.DatagramPacket(new byte[512], 512);
                client.receive(reply);

                assertThat(new String(reply.getData(), 0, reply.getLength(), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo("s0:to " + asked);
                assertThat(reply.getSocketAddress()).as("the reply's source").isEqualTo(target);
            }
        }
        assertThat(lb.udpListener(FRONT).counters().flows()).as("one per address written to").isEqualTo(2);
    }
}
