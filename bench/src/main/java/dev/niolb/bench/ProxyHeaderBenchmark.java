package dev.niolb.bench;

import dev.niolb.proxyprotocol.DecodeResult;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderDecoder;
import dev.niolb.proxyprotocol.ProxyHeaderEncoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * What reading and writing a PROXY protocol header costs, once per connection (or per datagram on a UDP listener
 * that accepts headers and sees a different client each time). Run with {@code -prof gc}: a decode allocates
 * only its result (the header and its two addresses), an encode its buffer.
 *
 * <p>{@code header}: {@code v1-tcp4} and {@code v1-tcp6} are text lines, {@code v2-ipv4} and {@code v2-ipv6}
 * binary (28 and 52 bytes), each followed by payload bytes in the same buffer as a first read would hold them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED"})
public class ProxyHeaderBenchmark {
    @Param({"v1-tcp4", "v1-tcp6", "v2-ipv4", "v2-ipv6"})
    String header;

    private ByteBuffer in;
    private InetSocketAddress source;
    private InetSocketAddress destination;

    @Setup
    public void setUp() {
        final boolean v6 = header.endsWith("6");
        source = new InetSocketAddress(v6 ? "2001:db8:85a3::8a2e:370:7334" : "203.0.113.77", 51234);
        destination = new InetSocketAddress(v6 ? "2001:db8::1" : "198.51.100.10", 443);
        final ByteBuffer h = header.startsWith("v1") ? ProxyHeaderEncoder.v1(source, destination)
            : ProxyHeaderEncoder.v2(source, destination, ProxyHeader.Transport.STREAM);
        in = ByteBuffer.allocateDirect(h.remaining() + 64);
        in.put(h).put(new byte[64]).flip();
    }

    @Benchmark
    public DecodeResult decode() {
        return ProxyHeaderDecoder.decode(in, ProxyHeaderDecoder.DEFAULT_MAX_LENGTH);
    }

    @Benchmark
    public ByteBuffer encode() {
        return header.startsWith("v1") ? ProxyHeaderEncoder.v1(source, destination)
            : ProxyHeaderEncoder.v2(source, destination, ProxyHeader.Transport.STREAM);
    }
}
