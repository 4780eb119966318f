package dev.niolb.transport.epoll;

import dev.niolb.loop.BufferPool;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.StreamRelay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * One direction of a session through the splice relay over real loopback sockets: client → [in | relay | out] →
 * server, {@code in} and {@code out} epoll sockets on a poller with its own pipe pool. The relay's calls are made
 * here as the session would make them on readiness; the kernel's buffers make every step real.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SpliceRelayTest {
    private static final int BUFFER = 4096;
    private static final int SMALL = 16 * 1024;
    private Socket client;
    private Socket server;
    private EpollStreamSocket in;
    private EpollStreamSocket out;
    private EpollPoller poller;
    private PipePool pipes;

    @BeforeAll
    static void runsHere() {
        assumeThat(EpollTransport.isAvailable()).as("%s", EpollTransport.unavailableReason()).isTrue();
    }

    @BeforeEach
    void connect() throws IOException {
        connect(new PipePool());
    }

    private void connect(final PipePool pool) throws IOException {
        pipes = pool;
        poller = new EpollPoller((handler, ops, registration) -> { }, pipes);
        final InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        final ListeningSocket front = EpollTransport.instance().listen(loopback, 4, 1).getFirst();
        try (ServerSocket back = new ServerSocket()) {
            // small kernel buffers toward the server, so that a server that does not read fills them soon
            back.setReceiveBufferSize(SMALL);
            back.bind(loopback, 4);
            client = new Socket(front.localAddress().getAddress(), front.localAddress().getPort());
            ListeningSocket.Accepted accepted;
            while ((accepted = front.accept()) == null) {
                Thread.onSpinWait();
            }
            in = (EpollStreamSocket) accepted.socket();
            out = (EpollStreamSocket) EpollTransport.instance().openStream(
                (InetSocketAddress) back.getLocalSocketAddress());
            out.setInt(Libc.SOL_SOCKET, Libc.SO_SNDBUF, SMALL);
            out.connect((InetSocketAddress) back.getLocalSocketAddress());
            server = back.accept(); // the handshake is complete on both ends once accept returns
        } finally {
            front.close();
        }
        poller.register(in, 0, null);
        poller.register(out, 0, null);
    }

    @AfterEach
    void close() throws IOException {
        in.close(false);
        out.close(false);
        client.close();
        server.close();
        poller.close();
    }

    private SpliceRelay relay(final boolean always) {
        final SpliceRelay relay = new SpliceRelay(new BufferPool(BUFFER, 4), always);
        relay.connect(in, out);
        return relay;
    }

    /** Moves what the client sent to the server until {@code count} bytes arrived, as the loop would. */
    private byte[] pump(final SpliceRelay relay, final int count) throws IOException {
        final InputStream from = server.getInputStream();
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final byte[] chunk = new byte[64 * 1024];
        while (got.size() < count) {
            assertThat(relay.wantsWrite() ? relay.onWritable() : relay.onReadable()).isEqualTo(StreamRelay.OK);
            while (from.available() > 0) {
                got.write(chunk, 0, from.read(chunk));
            }
        }
        return got.toByteArray();
    }

    private static byte[] random(final int n, final int seed) {
        final byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void alwaysSplicesFromTheFirstReadAndEveryByteArrivesInOrder() throws Exception {
        final SpliceRelay relay = relay(true);
        final byte[] sent = random(1 << 20, 1);
        final Thread writer = Thread.ofVirtual().start(() -> write(sent));
        assertThat(pump(relay, sent.length)).isEqualTo(sent);
        writer.join();
        assertThat(relay.splicing()).isTrue();
        assertThat(relay.bytes()).isEqualTo(sent.length);
        assertThat(pipes.created()).as("pipes made").isPositive();
        assertThat(pipes.inUse()).as("no pipe held once every byte is written").isZero();
        assertThat(relay.pending()).isZero();
    }

    @Test
    void autoKeepsASmallExchangeOnABufferAndSplicesOnceAReadFillsOne() throws Exception {
        final SpliceRelay relay = relay(false);
        client.getOutputStream().write(random(100, 2));
        assertThat(pump(relay, 100)).hasSize(100);
        assertThat(relay.splicing()).as("100 bytes: a buffer").isFalse();
        assertThat(pipes.created()).isZero();

        final byte[] bulk = random(BUFFER * 64, 3);
        final Thread writer = Thread.ofVirtual().start(() -> write(bulk));
        assertThat(pump(relay, bulk.length)).isEqualTo(bulk);
        writer.join();
        assertThat(relay.splicing()).as("a read filled a whole buffer: bulk").isTrue();
        assertThat(relay.bytes()).isEqualTo(100 + bulk.length);
    }

    @Test
    void aSlowDestinationHoldsBytesInThePipeAndTheSourceIsNotReadUntilItDrains() throws Exception {
        final SpliceRelay relay = relay(true);
        final byte[] sent = random(1 << 20, 4);
        final Thread writer = Thread.ofVirtual().start(() -> write(sent));
        while (relay.wantsRead()) { // the server reads nothing: its socket fills, then the pipe
            assertThat(relay.onReadable()).isEqualTo(StreamRelay.OK);
        }
        assertThat(relay.wantsWrite()).isTrue();
        assertThat(relay.pending()).isPositive();
        assertThat(pipes.inUse()).isEqualTo(1);
        final long relayed = relay.bytes();
        assertThat(relayed).isLessThan(sent.length);

        final byte[] got = pump(relay, sent.length); // the server reads: the pipe drains, reading resumes
        writer.join();
        assertThat(got).isEqualTo(sent);
        assertThat(pipes.inUse()).isZero();
    }

    @Test
    void theEndOfTheStreamReachesTheDestinationOnlyAfterEveryBytePipedBeforeIt() throws Exception {
        final SpliceRelay relay = relay(true);
        final byte[] sent = random(1 << 20, 5);
        final Thread writer = Thread.ofVirtual().start(() -> {
            write(sent);
            try {
                client.shutdownOutput();
            } catch (final IOException e) {
                throw new AssertionError(e);
            }
        });
        final InputStream from = server.getInputStream();
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final byte[] chunk = new byte[8192];
        while (true) {
            if (!relay.done()) {
                assertThat(relay.wantsWrite() ? relay.onWritable() : relay.onReadable()).isEqualTo(StreamRelay.OK);
            }
            if (from.available() > 0 || relay.done()) {
                final int n = from.read(chunk);
                if (n < 0) {
                    break;
                }
                got.write(chunk, 0, n);
            }
        }
        writer.join();
        assertThat(got.toByteArray()).isEqualTo(sent);
        assertThat(relay.srcEnded()).isTrue();
        assertThat(pipes.inUse()).isZero();
    }

    @Test
    void aSessionEndingWithBytesInThePipeClosesItRatherThanLendingItAgain() throws Exception {
        final SpliceRelay relay = relay(true);
        final byte[] sent = random(1 << 20, 6);
        final Thread writer = Thread.ofVirtual().start(() -> write(sent));
        while (relay.wantsRead()) {
            relay.onReadable();
        }
        assertThat(relay.pending()).isPositive();
        relay.release();
        client.close(); // unblock the writer
        writer.join();
        assertThat(pipes.inUse()).isZero();
        assertThat(pipes.idle()).as("a pipe with another session's bytes is never pooled").isZero();
    }

    @Test
    void withNoPipeToBeHadTheBytesGoThroughABuffer() throws Exception {
        close();
        connect(new PipePool(0));
        final SpliceRelay relay = relay(true);
        final byte[] sent = random(256 * 1024, 7);
        final Thread writer = Thread.ofVirtual().start(() -> write(sent));
        assertThat(pump(relay, sent.length)).isEqualTo(sent);
        writer.join();
        assertThat(pipes.refused()).isPositive();
        assertThat(pipes.created()).isZero();
    }

    private void write(final byte[] bytes) {
        try {
            client.getOutputStream().write(bytes);
        } catch (final IOException e) {
            if (!client.isClosed()) {
                throw new AssertionError(e);
            }
        }
    }

}
