package dev.niolb.tcp;

import dev.niolb.config.Algorithm;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.session.Termination;
import dev.niolb.testing.Await;
import dev.niolb.testing.ForwardingListeningSocket;
import dev.niolb.testing.ForwardingStreamSocket;
import dev.niolb.testing.ForwardingTransport;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.Transports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that takes its bytes slowly: niolb writes nothing until its send buffer has room again, which into a
 * slow reader can take longer than the idle timeout or the linger limit. Both then go by what the client's kernel
 * acknowledges, not by niolb's writes alone (session 21's tester saw a client reading steadily cut by either).
 * The client's socket here reports a count of unacknowledged bytes that goes down on every question, as a slow
 * reader's does, for as long as the test says, while the real client reads nothing.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowReaderTest {
    private static final Duration LIMIT = Duration.ofMillis(300); // the idle timeout, shorter than 30 s

    private final AtomicBoolean heldBack = new AtomicBoolean(); // a write to the client left bytes in niolb's buffer
    private final AtomicBoolean reading = new AtomicBoolean(true); // the client's kernel acknowledges bytes
    private final AtomicInteger asked = new AtomicInteger();
    private ForwardingTransport transport;

    @org.junit.jupiter.api.BeforeEach
    void slowReaders() throws IOException {
        transport = new ForwardingTransport(Transports.of(TransportChoice.EPOLL)) {
            @Override
            protected ListeningSocket listening(final ListeningSocket socket) {
                return new ForwardingListeningSocket(socket) {
                    @Override
                    public Accepted accept() throws IOException {
                        final Accepted accepted = super.accept();
                        return accepted == null ? null
                            : new Accepted(slowReader(accepted.socket(), heldBack, reading, asked), accepted.peer());
                    }
                };
            }
        };
    }

    @Test
    void anIdleTimeoutWhileTheClientsKernelStillAcknowledgesBytesWaitsUntilItStops() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             ListenerOnOneLoop front = front(server);
             Socket client = new Socket()) {
            client.connect(front.address(), 5000);
            final Socket accepted = server.accept();
            final Thread firehose = firehose(accepted); // blocks once every buffer is full: no byte moves then
            Await.until(heldBack::get, 20_000);

            // many idle timeouts pass with no read or write; each time the client's kernel had taken more
            Await.until(() -> asked.get() >= 5, 20_000);
            assertThat(front.listener().counters().get(ListenerCounters.ACTIVE)).as("not idle").isEqualTo(1);

            reading.set(false); // the client takes nothing more: idle from now on
            Await.until(() -> front.listener().counters().terminated(Termination.IDLE_TIMEOUT) == 1, 10_000);
            accepted.close();
            firehose.join(5000);
        }
    }

    @Test
    void aClientWhoseKernelStillAcknowledgesBytesIsNotResetAtTheLimitButOnceItStops() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             ListenerOnOneLoop front = front(server);
             Socket client = new Socket()) {
            client.connect(front.address(), 5000);
            final Socket accepted = server.accept();
            final Thread firehose = firehose(accepted);
            Await.until(heldBack::get, 20_000);
            accepted.setSoLinger(true, 0);
            accepted.close(); // RST while niolb holds bytes for the client: the session lingers, waiting to write
            firehose.join(5000);

            // many limits pass; each time the client's kernel had taken more, so the session goes on
            Await.until(() -> asked.get() >= 5, 20_000);
            assertThat(front.listener().counters().get(ListenerCounters.ACTIVE)).as("still lingering").isEqualTo(1);

            reading.set(false); // the client takes nothing more: reset at the next limit
            Await.until(() -> front.listener().counters().terminated(Termination.SERVER_RESET) == 1, 10_000);
        }
    }

    /** A listener with the {@link #LIMIT} as its idle timeout, on the slow readers' transport, to {@code server}. */
    private ListenerOnOneLoop front(final ServerSocket server) throws IOException {
        return new ListenerOnOneLoop(transport, new ListenerConfig("front", Protocol.TCP,
            new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS.withIdleTimeout(LIMIT)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", (InetSocketAddress) server.getLocalSocketAddress(), 1))));
    }

    /** Sends on {@code accepted} until the test closes or resets it. */
    static Thread firehose(final Socket accepted) {
        return Thread.ofPlatform().daemon().start(() -> {
            try (OutputStream out = accepted.getOutputStream()) {
                while (true) {
                    out.write(new byte[64 * 1024]);
                }
            } catch (final IOException endedByTheTest) {
                // expected
            }
        });
    }

    /** The client's socket, with a count of unacknowledged bytes that goes down while {@code reading}. */
    private static ForwardingStreamSocket slowReader(final dev.niolb.transport.StreamSocket real,
                                                     final AtomicBoolean heldBack, final AtomicBoolean reading,
                                                     final AtomicInteger asked) {
        return new ForwardingStreamSocket(real) {
            private int unacknowledged = Integer.MAX_VALUE - 1;

            @Override
            public int write(final ByteBuffer src) throws IOException {
                final int n = super.write(src);
                if (src.hasRemaining()) {
                    heldBack.set(true);
                }
                return n;
            }

            @Override
            public int unacknowledgedBytes() {
                asked.incrementAndGet();
                if (reading.get()) {
                    unacknowledged--;
                }
                return unacknowledged;
            }
        };
    }
}
