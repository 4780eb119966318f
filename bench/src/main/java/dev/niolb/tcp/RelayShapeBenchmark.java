package dev.niolb.tcp;

import dev.niolb.loop.BufferPool;
import dev.niolb.transport.BufferRelay;
import dev.niolb.transport.nio.NioTransport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The two relay shapes of the design, side by side over real loopback sockets:
 * {@code pooled} is niolb's {@link BufferRelay} (a pooled direct buffer per direction, taken when readable and given
 * back when written out: a partial write keeps the buffer, nothing is copied); {@code shared} is the Zilla shape
 * (one read buffer per loop; what a partial write leaves is copied into a pooled slot).
 *
 * <p>One operation: the client writes {@code size} bytes, the relay moves them from the proxy's client socket to
 * its server socket, the server reads them. Both shapes make the same system calls in the common case; the
 * benchmark shows what the buffer handling around them costs.
 *
 * <p>It drives the real {@link BufferRelay}, the relay every transport has.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class RelayShapeBenchmark {
    @Param({"512", "16384"})
    int size;

    private SocketChannel client;
    private SocketChannel proxyIn;
    private SocketChannel proxyOut;
    private SocketChannel server;
    private ByteBuffer message;
    private ByteBuffer sink;
    private BufferRelay pooled;
    private SharedBufferRelay shared;

    @Setup(Level.Trial)
    public void open() throws IOException {
        final SocketChannel[] front = pair();
        final SocketChannel[] back = pair();
        client = front[0];
        proxyIn = front[1];
        proxyOut = back[0];
        server = back[1];
        for (final SocketChannel c : new SocketChannel[]{client, proxyIn, proxyOut, server}) {
            c.configureBlocking(false);
            c.setOption(StandardSocketOptions.TCP_NODELAY, true);
        }
        message = ByteBuffer.allocateDirect(size);
        sink = ByteBuffer.allocateDirect(64 * 1024);
        final BufferPool pool = new BufferPool(64 * 1024, 16);
        pooled = new BufferRelay(pool);
        pooled.connect(NioTransport.stream(proxyIn), NioTransport.stream(proxyOut));
        shared = new SharedBufferRelay(ByteBuffer.allocateDirect(64 * 1024), pool);
        shared.connect(proxyIn, proxyOut);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        for (final SocketChannel c : new SocketChannel[]{client, proxyIn, proxyOut, server}) {
            c.close();
        }
    }

    @Benchmark
    public long pooled() throws IOException {
        send();
        long moved = 0;
        while (moved < size) {
            final long before = pooled.bytes();
            if (pooled.wantsWrite()) {
                pooled.onWritable();
            } else {
                pooled.onReadable();
            }
            moved += pooled.bytes() - before;
        }
        return receive();
    }

    @Benchmark
    public long shared() throws IOException {
        send();
        long moved = 0;
        while (moved < size) {
            moved += shared.wantsWrite() ? shared.onWritable() : shared.onReadable();
        }
        return receive();
    }

    private void send() throws IOException {
        message.clear();
        while (message.hasRemaining()) {
            client.write(message);
        }
    }

    private long receive() throws IOException {
        long got = 0;
        while (got < size) {
            sink.clear();
            got += server.read(sink);
        }
        return got;
    }

    private static SocketChannel[] pair() throws IOException {
        try (ServerSocketChannel listener = ServerSocketChannel.open()) {
            listener.bind(new InetSocketAddress("127.0.0.1", 0));
            final SocketChannel a = SocketChannel.open(listener.getLocalAddress());
            final SocketChannel b = listener.accept();
            return new SocketChannel[]{a, b};
        }
    }

    /** The Zilla shape, for comparison only: read into one shared buffer, copy a partial write's rest to a slot. */
    static final class SharedBufferRelay {
        private final ByteBuffer readBuffer;
        private final BufferPool slots;
        private SocketChannel src;
        private SocketChannel dst;
        private ByteBuffer slot;

        SharedBufferRelay(final ByteBuffer readBuffer, final BufferPool slots) {
            this.readBuffer = readBuffer;
            this.slots = slots;
        }

        void connect(final SocketChannel src, final SocketChannel dst) {
            this.src = src;
            this.dst = dst;
        }

        boolean wantsWrite() {
            return slot != null;
        }

        /** Returns bytes read from the source. */
        int onReadable() throws IOException {
            final ByteBuffer b = readBuffer;
            b.clear();
            final int n = src.read(b);
            if (n <= 0) {
                return 0;
            }
            b.flip();
            dst.write(b);
            if (b.hasRemaining()) {
                slot = slots.acquire();
                slot.put(b); // the copy this shape pays on every partial write
                slot.flip();
            }
            return n;
        }

        int onWritable() throws IOException {
            dst.write(slot);
            if (!slot.hasRemaining()) {
                slots.release(slot);
                slot = null;
            }
            return 0;
        }
    }
}
