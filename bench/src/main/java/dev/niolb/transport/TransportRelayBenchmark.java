package dev.niolb.transport;

import dev.niolb.config.Splice;
import dev.niolb.config.TransportChoice;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
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
 * One direction of a TCP session on each transport, as the engine runs it ({@link Transport#relay}), over real
 * loopback sockets: NIO's channels and buffer relay; epoll's sockets with the buffer relay ({@code splice=never})
 * and with the splice relay ({@code splice=always}). Run with {@code -prof gc}: {@code gc.alloc.rate.norm} is what
 * one relayed message allocates (the relay path should allocate nothing).
 *
 * <p>One operation: the client writes {@code size} bytes, the relay moves them from the proxy's client socket to
 * its server socket, the server reads them. The proxy's two sockets are the transport's own; the client and the
 * server are plain JDK channels, the same for every row.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED"})
public class TransportRelayBenchmark {
    @Param({"nio", "epoll"})
    String transport;

    @Param({"never", "always"})
    String splice;

    @Param({"512", "65536"})
    int size;

    private SocketChannel client;
    private SocketChannel server;
    private StreamSocket proxyIn;
    private StreamSocket proxyOut;
    private EventLoop loop;
    private StreamRelay relay;
    private ByteBuffer message;
    private ByteBuffer sink;

    @Setup(Level.Trial)
    public void open() throws IOException {
        final Transport t = Transports.of(TransportChoice.parse(transport));
        final InetSocketAddress loopback = new InetSocketAddress("127.0.0.1", 0);
        final ListeningSocket front = t.listen(loopback, 4, 1).getFirst();
        client = SocketChannel.open(front.localAddress());
        ListeningSocket.Accepted accepted;
        while ((accepted = front.accept()) == null) {
            Thread.onSpinWait();
        }
        front.close();
        proxyIn = accepted.socket();
        try (ServerSocketChannel back = ServerSocketChannel.open()) {
            back.bind(loopback);
            final InetSocketAddress at = (InetSocketAddress) back.getLocalAddress();
            proxyOut = t.openStream(at);
            final boolean connected = proxyOut.connect(at);
            server = back.accept(); // the handshake is complete on both ends once accept returns
            while (!connected && !proxyOut.finishConnect()) {
                Thread.onSpinWait();
            }
        }
        client.configureBlocking(false);
        server.configureBlocking(false);
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        // the relay finds its loop's pipes through the sockets' registrations: a loop, not started, holds them
        loop = new EventLoop(0, t);
        proxyIn.register(loop, 0, IGNORED);
        proxyOut.register(loop, 0, IGNORED);
        relay = t.relay(new BufferPool(64 * 1024, 16), Splice.parse(splice));
        relay.connect(proxyIn, proxyOut);
        message = ByteBuffer.allocateDirect(size);
        sink = ByteBuffer.allocateDirect(256 * 1024);
    }

    @TearDown(Level.Trial)
    public void close() throws IOException {
        relay.release();
        proxyIn.close(false);
        proxyOut.close(false);
        client.close();
        server.close();
        loop.stop();
    }

    @Benchmark
    public long relay() throws IOException {
        message.clear();
        while (message.hasRemaining()) {
            client.write(message);
        }
        long got = 0;
        while (got < size) {
            if (relay.wantsWrite()) {
                relay.onWritable();
            } else {
                relay.onReadable();
            }
            sink.clear();
            got += server.read(sink);
        }
        return got;
    }

    private static final IoHandler IGNORED = new IoHandler() {
        @Override
        public void onReady(final int readyOps) {
        }

        @Override
        public void onFailure(final Throwable failure) {
        }
    };
}
