package dev.niolb.transport;

import dev.niolb.loop.BufferPool;
import dev.niolb.testing.ForwardingStreamSocket;
import dev.niolb.transport.nio.NioTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

import static org.assertj.core.api.Assertions.assertThat;

/** One direction of the relay over real loopback socket pairs: client → [in | relay | out] → server. */
class BufferRelayTest {
    private SocketChannel client;
    private SocketChannel in;
    private SocketChannel out;
    private SocketChannel server;

    @BeforeEach
    void connect() throws IOException {
        final SocketChannel[] front = pair();
        final SocketChannel[] back = pair();
        client = front[0];
        in = front[1];
        out = back[0];
        server = back[1];
        in.configureBlocking(false);
        out.configureBlocking(false);
    }

    @AfterEach
    void close() throws IOException {
        for (final SocketChannel c : new SocketChannel[]{client, in, out, server}) {
            c.close();
        }
    }

    @Test
    void bytesReadFromTheSourceAreWrittenToTheDestinationAndTheBufferGoesBack() throws Exception {
        final BufferPool pool = new BufferPool(4096, 4);
        final BufferRelay relay = new BufferRelay(pool);
        relay.connect(NioTransport.stream(in), NioTransport.stream(out));
        client.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
        int status;
        do {
            status = relay.onReadable();
        } while (relay.bytes() < 3 && status == StreamRelay.OK);
        assertThat(status).isEqualTo(StreamRelay.OK);
        assertThat(received(3)).containsExactly(1, 2, 3);
        assertThat(pool.inUse()).isZero();
        assertThat(relay.wantsRead()).isTrue();
    }

    @Test
    void withNoBufferToBeHadTheRelaySaysSoInsteadOfThrowing() throws Exception {
        final BufferPool exhausted = new BufferPool(4096, 4, size -> {
            throw new OutOfMemoryError("Cannot reserve direct buffer memory (test)");
        });
        final BufferRelay relay = new BufferRelay(exhausted);
        relay.connect(NioTransport.stream(in), NioTransport.stream(out));
        client.write(ByteBuffer.wrap(new byte[]{1}));
        assertThat(relay.onReadable()).isEqualTo(StreamRelay.NO_BUFFER);
        assertThat(relay.bytes()).isZero();
        assertThat(exhausted.allocationFailures()).isEqualTo(1);
    }

    @Test
    void endOfStreamFromTheSourceShutsTheDestinationsOutputDown() throws Exception {
        final BufferRelay relay = new BufferRelay(new BufferPool(4096, 4));
        relay.connect(NioTransport.stream(in), NioTransport.stream(out));
        client.shutdownOutput();
        int status;
        do {
            status = relay.onReadable();
        } while (!relay.done() && status == StreamRelay.OK);
        assertThat(relay.done()).isTrue();
        assertThat(server.read(ByteBuffer.allocate(1))).isEqualTo(-1);
    }

    @Test
    void whenACloseFollowsTheEndOfStreamLeavesTheDestinationOpenForThatClose() throws Exception {
        final BufferRelay relay = new BufferRelay(new BufferPool(4096, 4));
        relay.connect(NioTransport.stream(in), NioTransport.stream(out));
        relay.closeFollows(); // the other direction is over: the session closes both sockets next
        client.shutdownOutput();
        int status;
        do {
            status = relay.onReadable();
        } while (!relay.done() && status == StreamRelay.OK);
        assertThat(relay.done()).isTrue();
        server.configureBlocking(false);
        assertThat(server.read(ByteBuffer.allocate(1))).as("no FIN yet: no shutdown was made").isZero();

        out.close(); // the session's close

        server.configureBlocking(true);
        assertThat(server.read(ByteBuffer.allocate(1))).as("the close sends the FIN, not a reset").isEqualTo(-1);
    }

    @Test
    void anAbortedSourcesBytesStillGoOnButItsEndIsAFailureNotAShutdownOfTheDestination() throws Exception {
        final BufferRelay relay = new BufferRelay(new BufferPool(4096, 4));
        relay.connect(new EndKnown(NioTransport.stream(in)), NioTransport.stream(out));
        relay.abortSource(); // its reset was found elsewhere (a write to it failed)
        client.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
        client.shutdownOutput();
        int status;
        do {
            status = relay.onReadable();
        } while (status == StreamRelay.OK);
        assertThat(status).isEqualTo(StreamRelay.SRC_FAILED);
        assertThat(relay.done()).isFalse();
        assertThat(received(3)).containsExactly(1, 2, 3);
        server.configureBlocking(false);
        assertThat(server.read(ByteBuffer.allocate(1))).as("no FIN: the stream is not complete").isZero();
    }

    @Test
    void aReadThatFailsHoldsNoBufferSoNothingIsLeftToWrite() throws Exception {
        final BufferPool pool = new BufferPool(4096, 4);
        final BufferRelay relay = new BufferRelay(pool);
        relay.connect(new ForwardingStreamSocket(NioTransport.stream(in)) {
            @Override
            public int read(final ByteBuffer dst) throws IOException {
                throw new IOException("Connection reset");
            }
        }, NioTransport.stream(out));
        assertThat(relay.onReadable()).isEqualTo(StreamRelay.SRC_FAILED);
        assertThat(relay.pending()).isZero();
        assertThat(relay.wantsWrite()).isFalse();
        assertThat(pool.inUse()).isZero();
    }

    @Test
    void aShortReadAfterTheSourcesEndArrivedIsItsLastAndTheEndGoesOnWithoutAnotherRead() throws Exception {
        final BufferRelay relay = new BufferRelay(new BufferPool(4096, 4));
        final EndKnown source = new EndKnown(NioTransport.stream(in));
        relay.connect(source, NioTransport.stream(out));
        client.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
        client.shutdownOutput();
        int status;
        do {
            status = relay.onReadable();
        } while (relay.bytes() < 3 && status == StreamRelay.OK);
        assertThat(status).isEqualTo(StreamRelay.OK);
        assertThat(source.lastRead).as("no read to find the end: the bytes were its last").isEqualTo(3);
        assertThat(relay.srcEnded()).isTrue();
        assertThat(relay.done()).isTrue();
        assertThat(relay.wantsRead()).isFalse();
        received(3);
        assertThat(server.read(ByteBuffer.allocate(1))).as("then the FIN").isEqualTo(-1);
    }

    @Test
    void bytesReadAheadOfTheConnectGoFirstWithTheHeaderInFrontOfThem() throws Exception {
        final BufferPool pool = new BufferPool(4096, 4);
        final BufferRelay relay = new BufferRelay(pool);
        final StreamSocket source = heldAhead(relay);
        assertThat(relay.pending()).isEqualTo(3);
        assertThat(relay.wantsRead()).as("held until written").isFalse();
        relay.connect(source, NioTransport.stream(out));
        assertThat(relay.prime(ByteBuffer.wrap(new byte[]{'P', 'X'}), null)).isEqualTo(StreamRelay.OK);
        assertThat(received(5)).containsExactly('P', 'X', 1, 2, 3);
        assertThat(relay.bytes()).as("the client's bytes, not the header").isEqualTo(3);
        assertThat(pool.inUse()).isZero();
        assertThat(relay.wantsRead()).isTrue();
    }

    @Test
    void bytesReadAheadAndParkedGiveTheirBufferBackAndStillGoFirst() throws Exception {
        final BufferPool pool = new BufferPool(4096, 4);
        final BufferRelay relay = new BufferRelay(pool);
        final StreamSocket source = heldAhead(relay);
        assertThat(pool.inUse()).isEqualTo(1);
        relay.parkAhead(); // the connect takes its time
        assertThat(pool.inUse()).as("back in the pool").isZero();
        assertThat(relay.pending()).isEqualTo(3);
        relay.connect(source, NioTransport.stream(out));
        assertThat(relay.prime(ByteBuffer.wrap(new byte[]{'P'}), null)).isEqualTo(StreamRelay.OK);
        assertThat(received(4)).containsExactly('P', 1, 2, 3);
        assertThat(relay.pending()).isZero();
        assertThat(pool.inUse()).isZero();
    }

    @Test
    void bytesReadAheadThatTheConnectPartlyWroteAreFinishedByThePrimeAndCountedOnce() throws Exception {
        final BufferPool pool = new BufferPool(4096, 4);
        final BufferRelay relay = new BufferRelay(pool);
        final StreamSocket source = heldAhead(relay);
        final StreamSocket destination = NioTransport.stream(out);
        final ByteBuffer ahead = relay.ahead();
        ahead.limit(ahead.position() + 2);
        assertThat(destination.write(ahead)).as("what a connect carries").isEqualTo(2);
        ahead.limit(ahead.position() + 1);
        relay.connect(source, destination);
        assertThat(relay.prime(null, null)).isEqualTo(StreamRelay.OK);
        assertThat(received(3)).containsExactly(1, 2, 3);
        assertThat(relay.bytes()).as("every byte read ahead, once").isEqualTo(3);
        assertThat(relay.ahead()).isNull();
        assertThat(pool.inUse()).isZero();
        assertThat(relay.wantsRead()).isTrue();
        assertThat(relay.wantsWrite()).isFalse();
    }

    @Test
    void aReadAheadThatFindsNothingHoldsNoBuffer() throws Exception {
        final BufferPool pool = new BufferPool(4096, 4);
        final BufferRelay relay = new BufferRelay(pool);
        assertThat(relay.readAhead(NioTransport.stream(in))).isEqualTo(StreamRelay.OK);
        assertThat(relay.pending()).isZero();
        assertThat(pool.inUse()).isZero();
    }

    /** A socket that says the peer's end has arrived, as the epoll transport can; it remembers its last read. */
    private static final class EndKnown extends ForwardingStreamSocket {
        private int lastRead;

        EndKnown(final StreamSocket socket) {
            super(socket);
        }

        @Override
        public boolean endSeen() {
            return true;
        }

        @Override
        public int read(final ByteBuffer dst) throws IOException {
            lastRead = super.read(dst);
            return lastRead;
        }
    }

    /** The next {@code n} bytes the server end receives. */
    private byte[] received(final int n) throws IOException {
        final ByteBuffer got = ByteBuffer.allocate(n);
        while (got.hasRemaining()) {
            server.read(got);
        }
        return got.array();
    }

    /** The client writes 1, 2, 3, and the relay reads ahead from its socket until it holds them. */
    private StreamSocket heldAhead(final BufferRelay relay) throws IOException {
        client.write(ByteBuffer.wrap(new byte[]{1, 2, 3}));
        final StreamSocket source = NioTransport.stream(in);
        while (relay.pending() == 0) {
            assertThat(relay.readAhead(source)).isEqualTo(StreamRelay.OK);
        }
        return source;
    }

    private static SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            final SocketChannel a = SocketChannel.open(listener.getLocalAddress());
            return new SocketChannel[]{a, listener.accept()};
        }
    }
}
