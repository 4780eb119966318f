package dev.niolb.bench;

import dev.niolb.LoadBalancer;
import dev.niolb.config.Algorithm;
import dev.niolb.config.Config;
import dev.niolb.config.ListenerConfig;
import dev.niolb.config.ListenerLimits;
import dev.niolb.config.Protocol;
import dev.niolb.config.ServerConfig;
import dev.niolb.config.SourceRate;
import dev.niolb.config.TargetGroupConfig;
import dev.niolb.config.TcpOptions;
import dev.niolb.config.TransportChoice;
import dev.niolb.config.UdpOptions;
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
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What one UDP round trip through niolb allocates and costs, next to the same round trip straight to the echo:
 * run with {@code -prof gc} and read {@code gc.alloc.rate.norm} (bytes per round trip, over every thread of this
 * JVM: the clients, niolb's loop and the echo).
 *
 * <p>One operation: a client sends a 64-byte datagram and waits for its echo. With {@code clients=1} every
 * datagram niolb's listening socket receives comes from the same sender; with {@code clients=2} the two clients
 * take turns, so the sender changes on every datagram. The JDK's {@code DatagramChannel.receive} keeps the last
 * sender's address object and hands it back while the sender repeats; a new sender costs a new
 * {@link InetSocketAddress} (and its {@code InetAddress}), about 130 B. So with {@code clients=2} the echo, a NIO
 * channel, pays that per round trip whichever way the datagrams come (two clients direct, or two niolb flows):
 * {@code roundTripDirect} shows it, and niolb's own part is the difference of the two rows. niolb on NIO pays it
 * again at its listener; on epoll the listener keeps its recent senders and pays nothing. The clients use
 * connected channels, so they allocate nothing.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED"})
public class UdpPathBenchmark {
    @Param({"1", "2"})
    int clients;

    /**
     * With {@code source-maxconn} and {@code source-rate} set: the per-source table is asked when a flow opens,
     * never for the datagrams of an open flow, so the rows must match those without.
     */
    @Param({"false", "true"})
    boolean sourceLimits;

    /** The transport niolb runs on: {@code nio}, or {@code epoll} (its listener receives with recvmmsg). */
    @Param({"nio", "epoll"})
    String transport;

    private DatagramChannel echo;
    private Thread echoThread;
    private LoadBalancer lb;
    private DatagramChannel[] viaNiolb;
    private DatagramChannel[] direct;
    private final ByteBuffer out = ByteBuffer.allocateDirect(64);
    private final ByteBuffer in = ByteBuffer.allocateDirect(2048);
    private int turn;

    @Setup(Level.Trial)
    public void start() throws IOException {
        echo = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        echoThread = Thread.ofPlatform().daemon().name("udp-echo").start(this::serveEcho);
        final InetSocketAddress echoAddress = (InetSocketAddress) echo.getLocalAddress();
        lb = LoadBalancer.start(Config.single(1, Duration.ZERO,
            new ListenerConfig("udp", Protocol.UDP, new InetSocketAddress("127.0.0.1", 0), "g", TcpOptions.DEFAULTS,
                UdpOptions.DEFAULTS).withLimits(sourceLimits
                ? ListenerLimits.NONE.withSourceMaxconn(100).withSourceRate(SourceRate.parse("100/s"))
                : ListenerLimits.NONE),
            new TargetGroupConfig("g", Algorithm.ROUNDROBIN, List.of(new ServerConfig(echoAddress, 1))))
            .withTransport(TransportChoice.parse(transport)));
        viaNiolb = new DatagramChannel[clients];
        direct = new DatagramChannel[clients];
        for (int i = 0; i < clients; i++) {
            viaNiolb[i] = DatagramChannel.open().connect(lb.localAddress("udp"));
            direct[i] = DatagramChannel.open().connect(echoAddress);
        }
    }

    private void serveEcho() {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
        try {
            while (true) {
                buffer.clear();
                final SocketAddress sender = echo.receive(buffer);
                echo.send(buffer.flip(), sender);
            }
        } catch (final ClosedChannelException e) {
            // stopped
        } catch (final IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        for (int i = 0; i < clients; i++) {
            viaNiolb[i].close();
            direct[i].close();
        }
        lb.stop(Duration.ZERO);
        echo.close();
        echoThread.join(1000);
    }

    @Benchmark
    public int roundTripThroughNiolb() throws IOException {
        return roundTrip(viaNiolb[turn++ % clients]);
    }

    @Benchmark
    public int roundTripDirect() throws IOException {
        return roundTrip(direct[turn++ % clients]);
    }

    private int roundTrip(final DatagramChannel channel) throws IOException {
        out.clear();
        channel.write(out);
        in.clear();
        return channel.read(in);
    }
}
