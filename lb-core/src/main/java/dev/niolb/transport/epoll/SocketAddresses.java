package dev.niolb.transport.epoll;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

/**
 * Any thread (each call works on memory its caller owns).
 *
 * {@code struct sockaddr_in} and {@code sockaddr_in6} written from and read into {@link InetSocketAddress}:
 *
 * <pre>
 * sockaddr_in  (16 bytes): | family u16 (host order) | port u16 (network order) | addr 4 bytes | zero 8 bytes |
 * sockaddr_in6 (28 bytes): | family u16 | port u16 (network) | flowinfo u32 | addr 16 bytes | scope_id u32 |
 * </pre>
 *
 * <p>An IPv4-mapped IPv6 address ({@code ::ffff:a.b.c.d}, what a dual-stack socket reports for an IPv4 peer) is
 * read as the IPv4 address, as the JDK does.
 */
final class SocketAddresses {
    static final int IN_BYTES = 16;
    static final int IN6_BYTES = 28;
    private static final ValueLayout.OfShort PORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private SocketAddresses() {
    }

    /** The family a socket needs to reach or bind {@code address}. */
    static int family(final InetSocketAddress address) throws IOException {
        return resolved(address) instanceof Inet6Address ? Libc.AF_INET6 : Libc.AF_INET;
    }

    /**
     * Writes {@code address} into {@code into} for a socket of {@code family}: an IPv4 address for an IPv6 socket
     * is written IPv4-mapped.
     *
     * @return the length to pass with it
     */
    static int write(final InetSocketAddress address, final int family, final MemorySegment into)
        throws IOException {
        final InetAddress ip = resolved(address);
        final byte[] bytes = ip.getAddress();
        if (family == Libc.AF_INET) {
            if (bytes.length != 4) {
                throw new IOException("an IPv4 socket cannot reach " + address);
            }
            into.fill((byte) 0);
            into.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET);
            into.set(PORT, 2, (short) address.getPort());
            MemorySegment.copy(bytes, 0, into, ValueLayout.JAVA_BYTE, 4, 4);
            return IN_BYTES;
        }
        into.asSlice(0, IN6_BYTES).fill((byte) 0);
        into.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_INET6);
        into.set(PORT, 2, (short) address.getPort());
        if (bytes.length == 4) {
            into.set(ValueLayout.JAVA_BYTE, 18, (byte) 0xFF);
            into.set(ValueLayout.JAVA_BYTE, 19, (byte) 0xFF);
            MemorySegment.copy(bytes, 0, into, ValueLayout.JAVA_BYTE, 20, 4);
        } else {
            MemorySegment.copy(bytes, 0, into, ValueLayout.JAVA_BYTE, 8, 16);
            into.set(ValueLayout.JAVA_INT_UNALIGNED, 24, ((Inet6Address) ip).getScopeId());
        }
        return IN6_BYTES;
    }

    /** Reads the address libc wrote into {@code from} ({@code length} bytes of it). */
    static InetSocketAddress read(final MemorySegment from, final int length) throws IOException {
        final int family = from.get(ValueLayout.JAVA_SHORT, 0);
        final int port = Short.toUnsignedInt(from.get(PORT, 2));
        try {
            if (family == Libc.AF_INET && length >= IN_BYTES) {
                final byte[] ip = new byte[4];
                MemorySegment.copy(from, ValueLayout.JAVA_BYTE, 4, ip, 0, 4);
                return new InetSocketAddress(InetAddress.getByAddress(ip), port);
            }
            if (family == Libc.AF_INET6 && length >= IN6_BYTES) {
                final byte[] ip = new byte[16];
                MemorySegment.copy(from, ValueLayout.JAVA_BYTE, 8, ip, 0, 16);
                if (isV4Mapped(ip)) {
                    final byte[] v4 = {ip[12], ip[13], ip[14], ip[15]};
                    return new InetSocketAddress(InetAddress.getByAddress(v4), port);
                }
                final int scope = from.get(ValueLayout.JAVA_INT_UNALIGNED, 24);
                // as the JDK: a scope only where there is one (a link-local peer); "::1%0" would not equal "::1"
                return new InetSocketAddress(scope == 0 ? InetAddress.getByAddress(ip)
                    : Inet6Address.getByAddress(null, ip, scope), port);
            }
        } catch (final UnknownHostException e) {
            throw new IOException("bad address from the kernel", e); // cannot happen: the lengths are right
        }
        throw new IOException("unexpected address family " + family + " (" + length + " bytes)");
    }

    private static boolean isV4Mapped(final byte[] ip) {
        for (int i = 0; i < 10; i++) {
            if (ip[i] != 0) {
                return false;
            }
        }
        return ip[10] == (byte) 0xFF && ip[11] == (byte) 0xFF;
    }

    private static InetAddress resolved(final InetSocketAddress address) throws IOException {
        final InetAddress ip = address.getAddress();
        if (ip == null) {
            throw new IOException("unresolved address " + address.getHostString());
        }
        return ip;
    }
}
