package dev.niolb.faults;

import dev.niolb.config.AcceptProxy;
import dev.niolb.config.Splice;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.session.Termination;
import dev.niolb.testing.Await;
import dev.niolb.testing.EngineRig;
import dev.niolb.testing.FaultyServer;
import dev.niolb.testing.FullBacklogServer;
import dev.niolb.testing.TestedTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A peer that resets its connection while niolb waits for nothing on it: its relay holds bytes the other side
 * does not take, so its reads are held back, and nothing is to be written to it. The epoll transport keeps such a
 * socket in its epoll set with no events, so the kernel still reports the reset: the session ends at once, not at
 * the idle timeout (ten minutes by default) with two sockets and a pipe or buffer held till then. NIO cannot do this
 * (the JDK drops a key with no interest from its epoll set): docs/OPERATIONS.md says so.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@ParameterizedClass(name = "[{0}]")
@MethodSource("epollTransports")
class ResetWhileHeldBackTest {
    // far longer than any wait below: a session that ends here was ended by the reset, not by its idle timer
    private static final TcpOptions LONG_IDLE = TcpOptions.DEFAULTS.withIdleTimeout(Duration.ofMinutes(10));

    @RegisterExtension
    final EngineRig engine;
    private final FaultRig rig;

    ResetWhileHeldBackTest(final TestedTransport transport) throws IOException {
        engine = new EngineRig(transport);
        rig = new FaultRig(engine);
    }

    static List<TestedTransport> epollTransports() {
        return List.of(TestedTransport.EPOLL_SPLICE, new TestedTransport(TransportChoice.EPOLL, Splice.NEVER));
    }

    @Test
    void clientsThatResetWhileTheServerTakesNothingEndAtOnceAsClientResets() throws Exception {
        final FaultyServer server = rig.track(new FaultyServer(FaultyServer.hang()));
        rig.start(LONG_IDLE, 1, server.address());
        final int clients = 4;
        final List<SocketChannel> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < clients; i++) {
                final SocketChannel c = SocketChannel.open(rig.front());
                c.configureBlocking(false);
                stalled.add(c);
            }
            Await.until(() -> server.accepted() == clients, 5000);
            final ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
            // until niolb holds bytes of each client for the server that takes none: it then stops reading them
            Await.until(() -> {
                for (final SocketChannel c : stalled) {
                    int n;
                    do {
                        chunk.clear();
                        n = c.write(chunk);
                    } while (n > 0);
                }
                return rig.held() >= clients;
            }, 20_000);
            for (final SocketChannel c : stalled) {
                c.socket().setSoLinger(true, 0);
                c.close(); // RST
            }
        } finally {
            for (final SocketChannel c : stalled) {
                c.close();
            }
        }
        Await.until(() -> rig.terminated(Termination.CLIENT_RESET) == clients, 5000);
        assertThat(rig.terminated(Termination.IDLE_TIMEOUT)).isZero();
        rig.awaitQuiet(); // no session, no pipe, no buffer left
    }

    @Test
    void aClientThatResetsAfterItsProxyHeaderWhileTheServerConnectsEndsAtOnceAsAClientReset() throws Exception {
        final FullBacklogServer slow = rig.track(new FullBacklogServer("slow")); // a connect to it takes 1 s or more
        rig.start(LONG_IDLE.withConnectTimeout(Duration.ofSeconds(30)), AcceptProxy.fromAnyPeer(), 1, slow.address());
        try (Socket client = new Socket()) {
            client.connect(rig.front(), 2000);
            client.getOutputStream().write("PROXY TCP4 192.0.2.1 198.51.100.1 56324 443\r\n"
                .getBytes(StandardCharsets.US_ASCII));
            // the header is read: niolb now connects, and waits for nothing from the client meanwhile
            Await.until(() -> rig.counters().proxyHeaders() == 1, 5000);
            client.setSoLinger(true, 0);
        } // RST
        Await.until(() -> rig.terminated(Termination.CLIENT_RESET) == 1, 5000);
        assertThat(rig.counters().connectFailures()).as("not left to the 30 s connect timeout").isZero();
        rig.awaitQuiet();
    }

    @Test
    void aClientThatResetsWhileItsServerConnectsEndsAtOnceAndNoServerIsBlamedOrTriedForIt() throws Exception {
        final FullBacklogServer slow = rig.track(new FullBacklogServer("slow")); // a connect to it takes 1 s or more
        rig.start(LONG_IDLE.withConnectTimeout(Duration.ofSeconds(30)), 1, slow.address());
        try (Socket client = new Socket()) {
            client.connect(rig.front(), 2000);
            Await.until(() -> rig.counters().active() == 1, 5000); // accepted: its server connect is under way
            client.setSoLinger(true, 0);
        } // RST
        Await.until(() -> rig.terminated(Termination.CLIENT_RESET) == 1, 5000);
        assertThat(rig.counters().connectFailures()).as("not left to the 30 s connect timeout").isZero();
        rig.awaitQuiet();
    }

    @Test
    void aServerThatResetsWhileTheClientReadsNothingIsLetGoAtOnceAndTheClientGetsEveryByteItSentBeforeTheReset()
        throws Exception {
        try (ServerSocket listening = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            rig.start(LONG_IDLE, 1, (InetSocketAddress) listening.getLocalSocketAddress());
            try (Socket client = new Socket()) {
                client.connect(rig.front(), 2000);
                client.setSoTimeout(5000);
                resetWhileHeldBack(listening.accept());

                // the server's place is given back at once, while the client has yet to read what it sent
                Await.until(() -> rig.server(0).counters().active() == 0, 5000);
                assertThat(rig.counters().active()).as("the client's side lingers").isEqualTo(1);
                final InputStream in = client.getInputStream();
                final byte[] chunk = new byte[64 * 1024];
                final long[] got = {0};
                assertThatThrownBy(() -> {
                    int n;
                    while ((n = in.read(chunk)) >= 0) {
                        got[0] += n;
                    }
                }).as("the server's reset passed on to the client, after the bytes").isInstanceOf(SocketException.class);
                // every byte niolb read from the server, none lost to the reset (which drops what a socket has not sent)
                assertThat(got[0]).isEqualTo(rig.server(0).counters().bytesFromServer()).isPositive();
            }
        }
        Await.until(() -> rig.terminated(Termination.SERVER_RESET) == 1, 5000);
        assertThat(rig.terminated(Termination.IDLE_TIMEOUT)).isZero();
        rig.awaitQuiet();
    }

    @Test
    void aClientThatTakesNothingAfterItsServerResetIsResetOnceItHasTakenNothingForTheLingerLimit() throws Exception {
        // the limit is the idle timeout when that is shorter than 30 s; and not much longer: any acknowledgement
        // after the linger began granted a whole new limit (4 s for 2; black-box testing, session 29)
        final Duration limit = Duration.ofSeconds(2);
        assertThat(lingered(limit, client -> { })).as("it waited for the client")
            .isGreaterThanOrEqualTo(limit.minusMillis(100)).isLessThan(limit.multipliedBy(3).dividedBy(2));
        assertThat(rig.terminated(Termination.IDLE_TIMEOUT)).isZero();
        rig.awaitQuiet();
    }

    @Test
    void aClientThatTakesALittleAfterItsServerResetThenNothingIsResetALingerLimitAfterItLastTook() throws Exception {
        // what it took drained niolb's send buffer without a write of niolb's: the kernel's acknowledgement, seen
        // only at the limit, granted a whole new limit
        final Duration limit = Duration.ofSeconds(2);
        assertThat(lingered(limit, client -> client.getInputStream().readNBytes(256 * 1024))) // then nothing
            .as("the limit from its last take")
            .isGreaterThanOrEqualTo(limit.minusMillis(300)).isLessThan(limit.multipliedBy(3).dividedBy(2));
        rig.awaitQuiet();
    }

    /** What a client does once its session lingers. */
    @FunctionalInterface
    private interface ClientAction {
        void run(Socket client) throws IOException;
    }

    /**
     * A session whose server reset while niolb held bytes back for its client, lingering with a limit of
     * {@code limit} (the idle timeout): once it lingers the client does {@code then}; returns the time from then
     * to the session's end.
     */
    private Duration lingered(final Duration limit, final ClientAction then) throws Exception {
        try (ServerSocket listening = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            rig.start(TcpOptions.DEFAULTS.withIdleTimeout(limit), 1,
                (InetSocketAddress) listening.getLocalSocketAddress());
            try (Socket client = new Socket()) {
                client.connect(rig.front(), 2000);
                resetWhileHeldBack(listening.accept());
                Await.until(() -> rig.server(0).counters().active() == 0, 5000);
                then.run(client);
                final long from = System.nanoTime();
                Await.until(() -> rig.terminated(Termination.SERVER_RESET) == 1, 10_000);
                return Duration.ofNanos(System.nanoTime() - from);
            }
        }
    }

    @Test
    void aLingerEndsAtTheMaximumAgeLikeAnyOtherSession() throws Exception {
        try (ServerSocket listening = new ServerSocket(0, 8, java.net.InetAddress.getLoopbackAddress())) {
            // a linger limit of 30 s (the idle timeout is longer), an age of 2 s (time enough to be held back and
            // reset before it): the age ends the linger
            rig.start(LONG_IDLE.withMaxConnectionAge(Duration.ofSeconds(2)), 1,
                (InetSocketAddress) listening.getLocalSocketAddress());
            try (Socket client = new Socket()) {
                client.connect(rig.front(), 2000);
                resetWhileHeldBack(listening.accept());
                Await.until(() -> rig.server(0).counters().active() == 0, 5000); // lingering
                Await.until(() -> rig.terminated(Termination.SERVER_RESET) == 1, 5000);
            }
        }
        rig.awaitQuiet();
    }

    /**
     * Sends to the client through niolb until niolb holds bytes the client does not read (it then stops reading the
     * server), and resets the server's connection.
     */
    private void resetWhileHeldBack(final Socket accepted) throws Exception {
        final Thread firehose = Thread.ofPlatform().daemon().start(() -> {
            try (OutputStream out = accepted.getOutputStream()) {
                final byte[] chunk = new byte[64 * 1024];
                while (true) {
                    out.write(chunk); // blocks once the client's side is full, until the reset below
                }
            } catch (final IOException endedByTheReset) {
                // expected
            }
        });
        Await.until(() -> rig.held() >= 1, 20_000);
        accepted.setSoLinger(true, 0);
        accepted.close(); // RST, while niolb holds bytes for a client that reads nothing
        firehose.join(5000);
    }
}
