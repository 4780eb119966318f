package dev.niolb.udp;

import dev.niolb.backend.Server;
import dev.niolb.backend.ServerCounters;
import dev.niolb.backend.TargetGroup;
import dev.niolb.config.Algorithm;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.loop.EventLoop;
import dev.niolb.testing.Await;
import dev.niolb.testing.ForwardingTransport;
import dev.niolb.testing.UdpClient;
import dev.niolb.testing.UdpEchoServer;
import dev.niolb.transport.DatagramSocket;
import dev.niolb.transport.Transports;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A new client whose flow cannot have a socket (out of descriptors: made here by a transport that refuses to open
 * one) is niolb's own limit: its datagram is counted as {@code no_socket}, not as {@code no_server}, no server is
 * blamed, the flows already open go on, and the next client is served once sockets can be had again.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class UdpFlowWithoutSocketTest {
    private static final String FRONT = "front";

    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"NIO", "EPOLL"})
    void aFlowThatCannotOpenASocketIsDroppedAsNoSocketAndBlamesNoServer(final TransportChoice choice)
        throws Exception {
        final AtomicBoolean outOfDescriptors = new AtomicBoolean();
        final ForwardingTransport transport = new ForwardingTransport(Transports.of(choice)) {
            @Override
            public DatagramSocket openDatagram(final InetSocketAddress remote) throws IOException {
                if (outOfDescriptors.get()) {
                    throw new IOException("Too many open files (made by the test)");
                }
                return super.openDatagram(remote);
            }
        };
        final EventLoop loop = new EventLoop(0, transport);
        try (UdpEchoServer echo = new UdpEchoServer("u")) {
            final TargetGroup group = new TargetGroup(new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s0", echo.address(), 1))), 1);
            final UdpListener listener = UdpListener.bind(new ListenerConfig(FRONT, Protocol.UDP,
                new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS), group, new EventLoop[] {loop},
                transport);
            listener.register();
            loop.start();
            try (UdpClient first = new UdpClient(listener.localAddress(), "127.0.0.2");
                 UdpClient second = new UdpClient(listener.localAddress(), "127.0.0.3")) {
                assertThat(first.ask("a")).isEqualTo("u:a");

                outOfDescriptors.set(true);
                second.send("b");
                Await.until(() -> listener.counters().get(UdpListenerCounters.DROPPED_NO_SOCKET) == 1, 10_000);
                assertThat(listener.counters().get(UdpListenerCounters.DROPPED_NO_SERVER)).isZero();
                final Server server = group.snapshot().servers()[0];
                assertThat(server.counters().get(ServerCounters.FAILED_CONNECTS)).as("no server blamed").isZero();
                assertThat(first.ask("c")).as("an open flow goes on").isEqualTo("u:c");

                outOfDescriptors.set(false);
                assertThat(second.ask("d")).as("served once sockets can be had").isEqualTo("u:d");
                assertThat(listener.counters().get(UdpListenerCounters.DROPPED_NO_SOCKET)).isEqualTo(1);
            } finally {
                listener.stopAccepting(5000);
            }
        } finally {
            loop.stop();
            assertThat(loop.awaitTermination(10_000)).as("the loop stopped").isTrue();
        }
    }
}
