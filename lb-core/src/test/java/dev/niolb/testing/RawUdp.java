package dev.niolb.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.Inet4Address;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * One IPv4 UDP datagram with a source port of the test's choosing, written by hand on a raw socket: the kernel adds
 * the IP header (its source address the route's, 127.0.0.1 on loopback); checksum 0 means none, which IPv4 allows.
 * For a datagram no socket could send: from port 0, or from a port another socket holds (a spoofed peer).
 */
public final class RawUdp {
    private static final int AF_INET = 2;
    private static final int SOCK_RAW = 3;
    private static final int IPPROTO_UDP = 17;

    private RawUdp() {
    }

    /** Sends {@code text} from port {@code sourcePort} to {@code to}:{@code port}; skips without CAP_NET_RAW. */
    public static void send(final int sourcePort, final Inet4Address to, final int port, final String text)
        throws Throwable {
        final Linker linker = Linker.nativeLinker();
        final MethodHandle socket = linker.downcallHandle(linker.defaultLookup().find("socket").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT));
        final MethodHandle sendto = linker.downcallHandle(linker.defaultLookup().find("sendto").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        final MethodHandle close = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        final int fd = (int) socket.invokeExact(AF_INET, SOCK_RAW, IPPROTO_UDP);
        assumeTrue(fd >= 0, "a raw socket needs CAP_NET_RAW, which this test runs without");
        try (Arena arena = Arena.ofConfined()) {
            final byte[] payload = text.getBytes(StandardCharsets.US_ASCII);
            final ValueLayout.OfShort net = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
            final MemorySegment datagram = arena.allocate(8 + payload.length);
            datagram.set(net, 0, (short) sourcePort);
            datagram.set(net, 2, (short) port);
            datagram.set(net, 4, (short) (8 + payload.length)); // length: header and payload
            datagram.set(net, 6, (short) 0);                    // no checksum
            MemorySegment.copy(payload, 0, datagram, ValueLayout.JAVA_BYTE, 8, payload.length);
            final MemorySegment address = arena.allocate(16);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            MemorySegment.copy(to.getAddress(), 0, address, ValueLayout.JAVA_BYTE, 4, 4);
            final long sent = (long) sendto.invokeExact(fd, datagram, datagram.byteSize(), 0, address, 16);
            assertThat(sent).as("raw send").isEqualTo(datagram.byteSize());
        } finally {
            final int ignored = (int) close.invokeExact(fd);
        }
    }
}
