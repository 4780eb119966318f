package dev.niolb.tcp;

import dev.niolb.admission.ConnectionLimit;
import dev.niolb.backend.TargetGroup;
import dev.niolb.config.Algorithm;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Poller;
import dev.niolb.loop.Registration;
import dev.niolb.config.Splice;
import dev.niolb.testing.EchoServer;
import dev.niolb.transport.DatagramSocket;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.StreamRelay;
import dev.niolb.transport.StreamSocket;
import dev.niolb.transport.Transport;
import dev.niolb.transport.Transports;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * That the acceptor spends its {@link AcceptBudget}: seen from the listening socket, whose every {@code accept}
 * is counted by a transport that wraps the real one.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpAcceptorBudgetTest {
    private static final int CONNECTIONS = 60;

    /**
     * One client at a time, each served before the next connects: every wake-up finds one connection. Draining
     * to "none left" would ask once more each time (60 empty accepts); the budget takes one per wake-up after a
     * drain that found few, so only every fifth wake-up drains.
     */
    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"NIO", "EPOLL"})
    void connectionsComingOneAtATimeFindTheBacklogEmptyOnlyAtEveryFewWakeUps(final TransportChoice choice)
        throws Exception {
        final CountingTransport transport = new CountingTransport(Transports.of(choice));
        try (EchoServer echo = new EchoServer()) {
            final EventLoop loop = new EventLoop(0, transport);
            final TargetGroup group = new TargetGroup(new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", echo.address(), 1))), 1);
            final TcpListener listener = TcpListener.bind(new ListenerConfig("front", Protocol.TCP,
                    new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS), group, new EventLoop[] {loop},
                ConnectionLimit.UNLIMITED, transport);
            listener.register();
            loop.start();
            try {
                for (int i = 0; i < CONNECTIONS; i++) {
                    try (Socket client = new Socket()) {
                        client.connect(listener.localAddress(), 5000);
                        client.setSoTimeout(10_000);
                        client.getOutputStream().write(i);
                        final InputStream in = client.getInputStream();
                        assertThat(in.read()).isEqualTo(i); // accepted and relayed before the next one comes
                    }
                }
            } finally {
                listener.stopAccepting(5000);
                loop.stop();
                loop.awaitTermination(5000);
            }
        }
        assertThat(transport.accepted.get()).isEqualTo(CONNECTIONS);
        // about one in five wake-ups drains (12); a loaded machine can only make some wake-ups find two
        assertThat(transport.foundEmpty.get()).isLessThanOrEqualTo(CONNECTIONS / 3);
    }

    /** The real transport, with every listening socket's accepts counted: taken, and found none waiting. */
    private static final class CountingTransport implements Transport {
        private final Transport real;
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger foundEmpty = new AtomicInteger();

        CountingTransport(final Transport real) {
            this.real = real;
        }

        @Override
        public String name() {
            return real.name();
        }

        @Override
        public Poller open(final Poller.Dispatch dispatch) throws IOException {
            return real.open(dispatch);
        }

        @Override
        public List<ListeningSocket> listen(final InetSocketAddress address, final int backlog, final int count)
            throws IOException {
            return real.listen(address, backlog, count).stream().map(this::counted).toList();
        }

        @Override
        public StreamRelay relay(final BufferPool pool, final Splice splice) {
            return real.relay(pool, splice);
        }

        @Override
        public StreamSocket openStream(final InetSocketAddress remote) throws IOException {
            return real.openStream(remote);
        }

        @Override
        public List<DatagramSocket> bindDatagram(final InetSocketAddress address, final int count) throws IOException {
            return real.bindDatagram(address, count);
        }

        @Override
        public DatagramSocket openDatagram(final InetSocketAddress remote) throws IOException {
            return real.openDatagram(remote);
        }

        private ListeningSocket counted(final ListeningSocket socket) {
            return new ListeningSocket() {
                @Override
                public Accepted accept() throws IOException {
                    final Accepted taken = socket.accept();
                    (taken == null ? foundEmpty : accepted).incrementAndGet();
                    return taken;
                }

                @Override
                public Registration register(final EventLoop loop, final int ops, final IoHandler handler)
                    throws IOException {
                    return socket.register(loop, ops, handler);
                }

                @Override
                public InetSocketAddress localAddress() {
                    return socket.localAddress();
                }

                @Override
                public void close() {
                    socket.close();
                }
            };
        }
    }
}
