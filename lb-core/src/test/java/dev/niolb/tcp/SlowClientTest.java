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
import dev.niolb.transport.Transports;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real client that reads slowly and steadily from a server that sends as fast as it can: niolb fills the client's
 * send buffer (megabytes) and holds more, and the socket is not reported writable again until a third of that
 * buffer is free, which takes this client far longer than the idle timeout. Bytes still go the client's way all
 * along, so the session is not idle, on either transport (SlowReaderTest has epoll's count of unacknowledged bytes
 * in detail; here nio, which has none, is held to the same: black-box testing, session 33).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlowClientTest {
    // long enough that a reader this JVM starves for a moment (a loaded machine) is not idle; what fills the send
    // buffer arrives in well under one
    private static final Duration IDLE = Duration.ofSeconds(1);
    private static final int READ_BYTES = 1536 * 1024; // 3.8 s at least at this client's pace: almost four idle timeouts

    @ParameterizedTest
    @EnumSource(value = TransportChoice.class, names = {"EPOLL", "NIO"})
    void aClientReadingSteadilyBehindAFullSendBufferIsNotIdleButOneThatStopsIs(final TransportChoice choice)
        throws Exception {
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             ListenerOnOneLoop front = front(choice, server);
             Socket client = new Socket()) {
            client.connect(front.address(), 5000);
            final Socket accepted = server.accept();
            final Thread firehose = SlowReaderTest.firehose(accepted);

            final InputStream in = client.getInputStream();
            final byte[] chunk = new byte[4096];
            int got = 0;
            while (got < READ_BYTES) {
                final int n;
                try {
                    n = in.read(chunk);
                } catch (final IOException e) {
                    final StringBuilder ends = new StringBuilder();
                    for (final Termination t : Termination.values()) {
                        ends.append(t).append('=').append(front.listener().counters().terminated(t)).append(' ');
                    }
                    throw new AssertionError(choice + ": reset after " + got + " bytes; " + ends, e);
                }
                assertThat(n).as("the stream goes on (after %d bytes)", got).isPositive();
                got += n;
                Thread.sleep(10); // the client's pace: at most 400 KB/s
            }
            assertThat(front.listener().counters().terminated(Termination.IDLE_TIMEOUT)).as("not idle").isZero();
            assertThat(front.listener().counters().get(ListenerCounters.ACTIVE)).isEqualTo(1);

            // the client reads no more: nothing goes its way from now on, and the idle timeout ends the session
            Await.until(() -> front.listener().counters().terminated(Termination.IDLE_TIMEOUT) == 1, 20_000);
            accepted.close();
            firehose.join(5000);
        }
    }

    private static ListenerOnOneLoop front(final TransportChoice choice, final ServerSocket server) throws IOException {
        return new ListenerOnOneLoop(Transports.of(choice), new ListenerConfig("front", Protocol.TCP,
            new InetSocketAddress("127.0.0.1", 0), "g",
            TcpOptions.DEFAULTS.withIdleTimeout(IDLE)),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN,
                List.of(new ServerConfig("s", (InetSocketAddress) server.getLocalSocketAddress(), 1))));
    }
}
