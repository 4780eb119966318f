package dev.niolb.tcp;

import dev.niolb.backend.ServerCounters;
import dev.niolb.config.Algorithm;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.session.Termination;
import dev.niolb.testing.Await;
import dev.niolb.testing.ForwardingTransport;
import dev.niolb.transport.StreamSocket;
import dev.niolb.transport.Transports;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A session that cannot open a socket to its server for the whole connect timeout (out of descriptors: made here
 * by a transport that refuses to open one) ends {@code no_socket}, niolb's own limit: not {@code no_server}, which
 * says no server could take it, and no server is blamed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SessionWithoutSocketTest {
    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"NIO", "EPOLL"})
    void aSessionThatNeverGetsASocketForItsServerEndsNoSocketAndBlamesNoServer(final TransportChoice choice)
        throws Exception {
        final ForwardingTransport transport = new ForwardingTransport(Transports.of(choice)) {
            @Override
            public StreamSocket openStream(final InetSocketAddress remote) throws IOException {
                throw new IOException("Too many open files (made by the test)");
            }
        };
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             ListenerOnOneLoop front = new ListenerOnOneLoop(transport, new ListenerConfig("front", Protocol.TCP,
                 new InetSocketAddress("127.0.0.1", 0), "g",
                 TcpOptions.DEFAULTS.withConnectTimeout(Duration.ofMillis(300))),
                 new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                     List.of(new ServerConfig("s", (InetSocketAddress) server.getLocalSocketAddress(), 1))));
             Socket client = new Socket()) {
            client.connect(front.address(), 5000);
            Await.until(() -> front.listener().counters().terminated(Termination.NO_SOCKET) == 1, 10_000);
            assertThat(front.listener().counters().terminated(Termination.NO_SERVER)).isZero();
            assertThat(front.listener().group().snapshot().servers()[0].counters().get(ServerCounters.FAILED_CONNECTS))
                .as("no server blamed").isZero();
        }
    }
}
