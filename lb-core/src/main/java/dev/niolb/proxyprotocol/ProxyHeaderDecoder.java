package dev.niolb.proxyprotocol;

import dev.niolb.proxyprotocol.DecodeResult.Decoded;
import dev.niolb.proxyprotocol.DecodeResult.Malformed;
import dev.niolb.proxyprotocol.DecodeResult.Problem;
import dev.niolb.proxyprotocol.ProxyHeader.Proxied;
import dev.niolb.proxyprotocol.ProxyHeader.Transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Decodes a PROXY protocol header, version 1 (text) or 2 (binary), from the start of a buffer, as HAProxy's
 * {@code doc/proxy-protocol.txt} specifies it.
 *
 * <p>Stateless and threadsafe: a pure function of the bytes between the buffer's position and limit, which it
 * reads with absolute gets (position, limit and byte order are left as they were). A header that arrives in
 * pieces is decoded incrementally by calling again with every byte so far: {@link DecodeResult#NEED_MORE} until it
 * is complete. Bytes that cannot begin a valid header are refused as soon as they are seen, not when the header
 * would have ended. Only a decoded header allocates (its addresses); the other results are constants.
 *
 * <p>Version 1: {@code PROXY TCP4|TCP6 SRC DST SRCPORT DSTPORT\r\n} or {@code PROXY UNKNOWN…\r\n}, at most
 * {@value #V1_MAX_LENGTH} bytes with the CRLF; exactly one space between fields; canonical addresses of the
 * announced family; ports in decimal without leading zeros; a lone CR or LF is refused.
 *
 * <p>Version 2:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |      signature: 0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A (12)      |
 *  |                                                               |
 *  +---------------+---------------+-------------------------------+
 *  | ver 2 |command| family|transp.|   length (big endian, 16 bit) |
 *  +---------------+---------------+-------------------------------+
 *  | addresses: INET 4+4+2+2, INET6 16+16+2+2, UNIX 108+108        |
 *  +---------------------------------------------------------------+
 *  | TLVs to the end of length: type (8) length (16) value ...     |
 *  +---------------------------------------------------------------+
 * </pre>
 * Command LOCAL decodes to {@link ProxyHeader.Local} whatever follows; PROXY with family or transport UNSPEC, or
 * family UNIX, to {@link ProxyHeader.Unknown}; INET and INET6 to {@link Proxied}. TLVs are skipped, but each
 * must fit inside the header, and a {@code PP2_TYPE_CRC32C} TLV must be 4 bytes and match the header's checksum
 * (as HAProxy checks it: a damaged or forged header is refused, not believed). A header longer than the caller's
 * bound is refused as soon as its length field is read.
 */
public final class ProxyHeaderDecoder {
    /** The longest v1 line, CRLF included: {@code PROXY UNKNOWN} with two full IPv6 addresses and ports. */
    public static final int V1_MAX_LENGTH = 107;
    /** The fixed part of a v2 header. */
    public static final int V2_FIXED_LENGTH = 16;
    /** The longest v2 header the format can express. */
    public static final int V2_MAX_LENGTH = V2_FIXED_LENGTH + 0xFFFF;
    /** The default bound on a header's length. */
    public static final int DEFAULT_MAX_LENGTH = 4096;

    static final byte[] V2_SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    static final byte[] V1_PREFIX = {'P', 'R', 'O', 'X', 'Y', ' '};

    private static final int CMD_LOCAL = 0;
    private static final int CMD_PROXY = 1;
    private static final int AF_UNSPEC = 0;
    private static final int AF_INET = 1;
    private static final int AF_INET6 = 2;
    private static final int AF_UNIX = 3;
    private static final int TRANSPORT_UNSPEC = 0;
    private static final int TRANSPORT_DGRAM = 2;
    private static final int PP2_TYPE_CRC32C = 0x03;
    private static final int CRC32C_LENGTH = 4;
    /** The checksum's own bytes as the checksum reads them: read-only, shared. */
    private static final byte[] CRC32C_ZEROS = new byte[CRC32C_LENGTH];

    private ProxyHeaderDecoder() {
    }

    /** {@link #decode(ByteBuffer, int)} with the {@link #DEFAULT_MAX_LENGTH default bound}. */
    public static DecodeResult decode(final ByteBuffer in) {
        return decode(in, DEFAULT_MAX_LENGTH);
    }

    /**
     * Decodes the header at the buffer's position.
     *
     * @param maxLength the longest header accepted, in bytes; a v2 header announcing more is refused at once
     *                  ({@link Problem#V2_TOO_LONG}). A v1 line is bounded by the specification's 107 bytes.
     */
    public static DecodeResult decode(final ByteBuffer in, final int maxLength) {
        final int start = in.position();
        final int available = in.remaining();
        if (available == 0) {
            return DecodeResult.NEED_MORE;
        }
        final byte first = in.get(start);
        if (first == V2_SIGNATURE[0]) {
            return decodeV2(in, start, available, maxLength);
        }
        if (first == V1_PREFIX[0]) {
            return decodeV1(in, start, available);
        }
        return malformed(Problem.NOT_PROXY);
    }

    /**
     * The whole length of the v2 header at the buffer's position once its fixed part has arrived, so that a
     * reader can make room for it; -1 while that is not known (fewer than 16 bytes, or not v2).
     */
    public static int expectedLength(final ByteBuffer in) {
        final int start = in.position();
        if (in.remaining() < V2_FIXED_LENGTH || in.get(start) != V2_SIGNATURE[0]) {
            return -1;
        }
        return V2_FIXED_LENGTH + u16(in, start + 14);
    }

    // ----------------------------------------------------------------------------------------------- v2

    private static DecodeResult decodeV2(final ByteBuffer in, final int start, final int available,
                                         final int maxLength) {
        final int signature = Math.min(available, V2_SIGNATURE.length);
        for (int i = 0; i < signature; i++) {
            if (in.get(start + i) != V2_SIGNATURE[i]) {
                return malformed(Problem.NOT_PROXY);
            }
        }
        if (available > 12) {
            final int versionCommand = in.get(start + 12) & 0xFF;
            if (versionCommand >>> 4 != 2) {
                return malformed(Problem.BAD_VERSION);
            }
            if ((versionCommand & 0x0F) > CMD_PROXY) {
                return malformed(Problem.BAD_COMMAND);
            }
        }
        if (available > 13) {
            final int familyTransport = in.get(start + 13) & 0xFF;
            if (familyTransport >>> 4 > AF_UNIX) {
                return malformed(Problem.BAD_FAMILY);
            }
            if ((familyTransport & 0x0F) > TRANSPORT_DGRAM) {
                return malformed(Problem.BAD_TRANSPORT);
            }
        }
        if (available < V2_FIXED_LENGTH) {
            return DecodeResult.NEED_MORE;
        }
        final int length = u16(in, start + 14);
        final int total = V2_FIXED_LENGTH + length;
        if (total > maxLength) {
            return malformed(Problem.V2_TOO_LONG);
        }
        if (available < total) {
            return DecodeResult.NEED_MORE;
        }
        final int command = in.get(start + 12) & 0x0F;
        if (command == CMD_LOCAL) {
            return new Decoded(ProxyHeader.Local.INSTANCE, total); // the address block is ignored, whatever it is
        }
        final int family = (in.get(start + 13) & 0xFF) >>> 4;
        final int transport = in.get(start + 13) & 0x0F;
        if (family == AF_UNSPEC || transport == TRANSPORT_UNSPEC) {
            return new Decoded(ProxyHeader.Unknown.INSTANCE, total);
        }
        final int addressLength = switch (family) {
            case AF_INET -> 12;
            case AF_INET6 -> 36;
            default -> 216; // AF_UNIX
        };
        if (length < addressLength) {
            return malformed(Problem.BAD_LENGTH);
        }
        final int tlvs = start + V2_FIXED_LENGTH + addressLength;
        if (!tlvsFit(in, tlvs, start + total)) {
            return malformed(Problem.BAD_TLV);
        }
        if (!checksumMatches(in, start, tlvs, start + total)) {
            return malformed(Problem.BAD_CHECKSUM);
        }
        if (family == AF_UNIX) {
            return new Decoded(ProxyHeader.Unknown.INSTANCE, total); // a path means nothing to a TCP/UDP balancer
        }
        final int addressBytes = family == AF_INET ? 4 : 16;
        final int addresses = start + V2_FIXED_LENGTH;
        final int ports = addresses + 2 * addressBytes;
        final InetAddress source = address(in, addresses, addressBytes);
        final InetAddress destination = address(in, addresses + addressBytes, addressBytes);
        return new Decoded(new Proxied(new InetSocketAddress(source, u16(in, ports)),
            new InetSocketAddress(destination, u16(in, ports + 2)),
            transport == TRANSPORT_DGRAM ? Transport.DGRAM : Transport.STREAM), total);
    }

    /** Whether the TLVs between {@code from} and {@code to} each fit: type, 16-bit length, that many bytes. */
    private static boolean tlvsFit(final ByteBuffer in, final int from, final int to) {
        int i = from;
        while (i < to) {
            if (to - i < 3) {
                return false;
            }
            i += 3 + u16(in, i + 1);
        }
        return i == to;
    }

    /**
     * Whether the header between {@code start} and {@code end} has no {@code PP2_TYPE_CRC32C} TLV, or one of 4
     * bytes equal to the CRC32C of the whole header with those 4 bytes read as zeros (the specification's
     * definition). The TLVs from {@code tlvs} are known to fit.
     */
    private static boolean checksumMatches(final ByteBuffer in, final int start, final int tlvs, final int end) {
        int i = tlvs;
        while (i < end) {
            final int length = u16(in, i + 1);
            if ((in.get(i) & 0xFF) == PP2_TYPE_CRC32C) {
                if (length != CRC32C_LENGTH) {
                    return false;
                }
                final int value = i + 3;
                final CRC32C crc = new CRC32C();
                crc.update(in.slice(start, value - start)); // slices: the caller's buffer is left as it was
                crc.update(CRC32C_ZEROS);
                crc.update(in.slice(value + CRC32C_LENGTH, end - value - CRC32C_LENGTH));
                return crc.getValue() == ((long) u16(in, value) << 16 | u16(in, value + 2)); // big endian, whatever the buffer's order
            }
            i += 3 + length;
        }
        return true;
    }

    private static InetAddress address(final ByteBuffer in, final int at, final int length) {
        final byte[] bytes = new byte[length];
        in.get(at, bytes);
        return byAddress(bytes);
    }

    // ----------------------------------------------------------------------------------------------- v1

    private static DecodeResult decodeV1(final ByteBuffer in, final int start, final int available) {
        final int prefix = Math.min(available, V1_PREFIX.length);
        for (int i = 0; i < prefix; i++) {
            if (in.get(start + i) != V1_PREFIX[i]) {
                return malformed(Problem.NOT_PROXY);
            }
        }
        // the line must end with CRLF within 107 bytes; a lone CR or LF anywhere before is an error
        final int scan = Math.min(available, V1_MAX_LENGTH);
        int cr = -1;
        for (int i = V1_PREFIX.length; i < scan; i++) {
            final byte c = in.get(start + i);
            if (c == '\n') {
                return malformed(Problem.BAD_LINE);
            }
            if (c == '\r') {
                if (i + 2 > V1_MAX_LENGTH) {
                    return malformed(Problem.V1_TOO_LONG); // its LF would be byte 108
                }
                if (i + 1 >= available) {
                    return DecodeResult.NEED_MORE; // the CR is the last byte so far (and within the bound)
                }
                if (in.get(start + i + 1) != '\n') {
                    return malformed(Problem.BAD_LINE);
                }
                cr = i;
                break;
            }
        }
        if (cr < 0) {
            return available >= V1_MAX_LENGTH ? malformed(Problem.V1_TOO_LONG) : DecodeResult.NEED_MORE;
        }
        return parseV1Line(in, start + V1_PREFIX.length, start + cr, cr + 2);
    }

    /** Parses the fields between {@code "PROXY "} and the CR. */
    private static DecodeResult parseV1Line(final ByteBuffer in, final int from, final int to, final int length) {
        final int protocolEnd = indexOfSpace(in, from, to);
        if (matches(in, from, protocolEnd, "UNKNOWN")) {
            return new Decoded(ProxyHeader.Unknown.INSTANCE, length); // anything up to the CRLF is ignored
        }
        final boolean v4;
        if (matches(in, from, protocolEnd, "TCP4")) {
            v4 = true;
        } else if (matches(in, from, protocolEnd, "TCP6")) {
            v4 = false;
        } else {
            return malformed(Problem.BAD_LINE);
        }
        // exactly four more fields, each after exactly one space
        final int[] bounds = new int[5];
        bounds[0] = protocolEnd;
        for (int f = 1; f <= 4; f++) {
            final int fieldStart = bounds[f - 1] + 1;
            if (bounds[f - 1] >= to || fieldStart >= to || in.get(fieldStart) == ' ') {
                return malformed(Problem.BAD_LINE);
            }
            bounds[f] = indexOfSpace(in, fieldStart, to);
        }
        if (bounds[4] != to) {
            return malformed(Problem.BAD_LINE);
        }
        final byte[] source = parseAddress(in, bounds[0] + 1, bounds[1], v4);
        final byte[] destination = parseAddress(in, bounds[1] + 1, bounds[2], v4);
        if (source == null || destination == null) {
            return malformed(mismatch(in, bounds[0] + 1, bounds[1], v4) || mismatch(in, bounds[1] + 1, bounds[2], v4)
                ? Problem.FAMILY_MISMATCH : Problem.BAD_ADDRESS);
        }
        final int sourcePort = AddressText.parsePort(in, bounds[2] + 1, bounds[3]);
        final int destinationPort = AddressText.parsePort(in, bounds[3] + 1, bounds[4]);
        if (sourcePort < 0 || destinationPort < 0) {
            return malformed(Problem.BAD_PORT);
        }
        return new Decoded(new Proxied(new InetSocketAddress(byAddress(source), sourcePort),
            new InetSocketAddress(byAddress(destination), destinationPort), Transport.STREAM), length);
    }

    private static byte[] parseAddress(final ByteBuffer in, final int from, final int to, final boolean v4) {
        return v4 ? AddressText.parseIpv4(in, from, to) : AddressText.parseIpv6(in, from, to);
    }

    /** Whether a field that is not an address of the announced family is one of the other family. */
    private static boolean mismatch(final ByteBuffer in, final int from, final int to, final boolean v4) {
        if (parseAddress(in, from, to, v4) != null) {
            return false;
        }
        return parseAddress(in, from, to, !v4) != null;
    }

    private static int indexOfSpace(final ByteBuffer in, final int from, final int to) {
        for (int i = from; i < to; i++) {
            if (in.get(i) == ' ') {
                return i;
            }
        }
        return to;
    }

    private static boolean matches(final ByteBuffer in, final int from, final int to, final String word) {
        if (to - from != word.length()) {
            return false;
        }
        for (int i = 0; i < word.length(); i++) {
            if (in.get(from + i) != word.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------- shared

    private static int u16(final ByteBuffer in, final int at) {
        return ((in.get(at) & 0xFF) << 8) | (in.get(at + 1) & 0xFF);
    }

    private static InetAddress byAddress(final byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes); // no lookup; an IPv4-mapped IPv6 address comes back as IPv4
        } catch (final UnknownHostException e) {
            throw new IllegalStateException("4 or 16 bytes are always an address", e);
        }
    }

    private static Malformed malformed(final Problem problem) {
        return Malformed.of(problem);
    }
}
