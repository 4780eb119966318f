package dev.niolb.proxyprotocol;

import dev.niolb.config.IpText;
import dev.niolb.proxyprotocol.ProxyHeader.Transport;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Writes PROXY protocol headers, version 1 (text, TCP only) and version 2 (binary, TCP or UDP).
 *
 * <p>Stateless and threadsafe. A header is built once per connection (or UDP flow) and written before its first
 * byte, so the methods return a new buffer in read mode rather than writing into a caller's.
 *
 * <p>When the two endpoints are of different families (an IPv4 client on a listener bound to an IPv6 address),
 * both are written as IPv6, the IPv4 one mapped ({@code ::ffff:a.b.c.d}), as HAProxy does: a header has one
 * family.
 */
public final class ProxyHeaderEncoder {
    /** The longest header this encoder writes: v1 TCP6 with two full addresses (104 bytes). */
    public static final int MAX_LENGTH = 104;

    private ProxyHeaderEncoder() {
    }

    /** {@code PROXY TCP4|TCP6 SRC DST SRCPORT DSTPORT\r\n}. */
    public static ByteBuffer v1(final InetSocketAddress source, final InetSocketAddress destination) {
        final boolean v4 = bothIpv4(source, destination);
        final String line = "PROXY " + (v4 ? "TCP4 " : "TCP6 ") + text(source.getAddress(), v4) + ' '
            + text(destination.getAddress(), v4) + ' ' + source.getPort() + ' ' + destination.getPort() + "\r\n";
        return ByteBuffer.wrap(line.getBytes(StandardCharsets.US_ASCII));
    }

    /** {@code PROXY UNKNOWN\r\n}: a valid header that tells the receiver to use the real endpoints. */
    public static ByteBuffer v1Unknown() {
        return ByteBuffer.wrap("PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** A v2 PROXY header for a {@code transport} connection (or datagram) from {@code source} to {@code destination}. */
    public static ByteBuffer v2(final InetSocketAddress source, final InetSocketAddress destination,
                                final Transport transport) {
        final boolean v4 = bothIpv4(source, destination);
        final int addressBytes = v4 ? 4 : 16;
        final int length = 2 * addressBytes + 4;
        final ByteBuffer out = ByteBuffer.allocate(ProxyHeaderDecoder.V2_FIXED_LENGTH + length);
        out.put(ProxyHeaderDecoder.V2_SIGNATURE);
        out.put((byte) 0x21); // version 2, PROXY
        out.put((byte) ((v4 ? 0x10 : 0x20) | (transport == Transport.DGRAM ? 0x02 : 0x01)));
        out.putShort((short) length);
        out.put(bytes(source.getAddress(), v4));
        out.put(bytes(destination.getAddress(), v4));
        out.putShort((short) source.getPort());
        out.putShort((short) destination.getPort());
        return out.flip();
    }

    /** A v2 LOCAL header: the sender's own connection (a health check), no addresses. */
    public static ByteBuffer v2Local() {
        final ByteBuffer out = ByteBuffer.allocate(ProxyHeaderDecoder.V2_FIXED_LENGTH);
        out.put(ProxyHeaderDecoder.V2_SIGNATURE);
        out.put((byte) 0x20); // version 2, LOCAL
        out.put((byte) 0x00); // UNSPEC, UNSPEC
        out.putShort((short) 0);
        return out.flip();
    }

    private static boolean bothIpv4(final InetSocketAddress source, final InetSocketAddress destination) {
        return source.getAddress() instanceof Inet4Address && destination.getAddress() instanceof Inet4Address;
    }

    private static byte[] bytes(final InetAddress address, final boolean v4) {
        final byte[] raw = address.getAddress();
        if (v4 || raw.length == 16) {
            return raw;
        }
        final byte[] mapped = new byte[16];
        mapped[10] = (byte) 0xFF;
        mapped[11] = (byte) 0xFF;
        System.arraycopy(raw, 0, mapped, 12, 4);
        return mapped;
    }

    private static String text(final InetAddress address, final boolean v4) {
        return v4 ? address.getHostAddress() : IpText.ipv6(bytes(address, false));
    }
}
