package dev.niolb.tcp;

import dev.niolb.config.Algorithm;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.testing.EchoServer;
import dev.niolb.testing.ForwardingListeningSocket;
import dev.niolb.testing.ForwardingTransport;
import dev.niolb.transport.ListeningSocket;
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
        try (EchoServer echo = new EchoServer();
             ListenerOnOneLoop front = new ListenerOnOneLoop(transport, new ListenerConfig("front", Protocol.TCP,
                 new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS),
                 new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig("s", echo.address(), 1))))) {
            for (int i = 0; i < CONNECTIONS; i++) {
                try (Socket client = new Socket()) {
                    client.connect(front.address(), 5000);
                    client.setSoTimeout(10_000);
                    client.getOutputStream().write(i);
                    final InputStream in = client.getInputStream();
                    assertThat(in.read()).isEqualTo(i); // accepted and relayed before the next one comes
                }
            }
        }
        assertThat(transport.accepted.get()).isEqualTo(CONNECTIONS);
        // about one in five wake-ups drains (12); a loaded machine can only make some wake-ups find two
        assertThat(transport.foundEmpty.get()).isLessThanOrEqualTo(CONNECTIONS / 3);
    }

    /** The real transport, with every listening socket's accepts counted: taken, and found none waiting. */
    private static final class CountingTransport extends ForwardingTransport {
        final AtomicInteger accepted = new AtomicInteger();
        final AtomicInteger foundEmpty = new AtomicInteger();

        CountingTransport(final Transport real) {
            super(real);
        }

        @Override
        protected ListeningSocket listening(final ListeningSocket socket) {
            return new ForwardingListeningSocket(socket) {
                @Override
                public Accepted accept() throws IOException {
                    final Accepted taken = super.accept();
                    (taken == null ? foundEmpty : accepted).incrementAndGet();
                    return taken;
                }
            };
        }
    }
}
