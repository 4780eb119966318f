package dev.niolb.proxyprotocol;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.niolb.proxyprotocol.DecodeResult.Decoded;
import dev.niolb.proxyprotocol.DecodeResult.Malformed;
import dev.niolb.proxyprotocol.DecodeResult.NeedMore;
import dev.niolb.proxyprotocol.ProxyHeader.Proxied;
import dev.niolb.proxyprotocol.ProxyHeader.Transport;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * {@link ProxyHeaderDecoder}, what a listener with {@code accept-proxy} runs on bytes from the network. For any
 * bytes:
 * <ul>
 *   <li>the answer is a {@link DecodeResult}: nothing is thrown, and nothing past the buffer's limit is read (the
 *       decoder reads with absolute gets, which throw past the limit); position, limit and byte order are left
 *       alone; the answer does not depend on where in a buffer the bytes sit or what lies around them;</li>
 *   <li>a decoded header is within the bytes and the bound, decodes the same from exactly its own bytes, and every
 *       shorter prefix of it needs more; a malformed start stays malformed whatever follows;</li>
 *   <li>and the same bytes, read as two endpoints, a version and a transport, make a header with
 *       {@link ProxyHeaderEncoder} that decodes to those endpoints.</li>
 * </ul>
 */
class ProxyHeaderDecoderFuzzTest {
    private static final int SMALL_BOUND = 64;
    private static final int PREFIXES_CHECKED_IN_FULL = 300;

    @FuzzTest(maxDuration = "2s")
    @DictionaryFile(resourcePath = "proxy-header.dict")
    void anyBytesDecodeToAResultWithinTheBufferAndEncodedHeadersDecodeToTheirEndpoints(final byte[] input) {
        final DecodeResult result = decodeChecked(input, ProxyHeaderDecoder.DEFAULT_MAX_LENGTH);
        switch (result) {
            case Decoded d -> decodedIsWhole(input, d, ProxyHeaderDecoder.DEFAULT_MAX_LENGTH);
            case Malformed m -> staysMalformed(input, m);
            case NeedMore n -> needsMoreOnlyWithinTheBound(input);
        }
        if (decodeChecked(input, SMALL_BOUND) instanceof Decoded d && isV2(input)) {
            check(d.length() <= SMALL_BOUND, "v2 header of " + d.length() + " bytes decoded under a bound of "
                + SMALL_BOUND, input);
        }
        encodedEndpointsDecodeBack(input);
    }

    /** Decodes {@code input} at offset 0 and again inside a larger buffer, and checks what must hold for both. */
    private static DecodeResult decodeChecked(final byte[] input, final int maxLength) {
        final DecodeResult alone = ProxyHeaderDecoder.decode(ByteBuffer.wrap(input), maxLength);
        check(alone != null, "null result", input);
        // the same bytes at offset 7 of a buffer with a plausible header around them, little-endian, read-only
        final byte[] around = new byte[input.length + 14];
        Arrays.fill(around, (byte) '\n');
        System.arraycopy(ProxyHeaderDecoder.V2_SIGNATURE, 0, around, 0, 7);
        System.arraycopy(input, 0, around, 7, input.length);
        final ByteBuffer buffer = ByteBuffer.wrap(around).position(7).limit(7 + input.length)
            .order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        final DecodeResult inside = ProxyHeaderDecoder.decode(buffer, maxLength);
        check(buffer.position() == 7 && buffer.limit() == 7 + input.length && buffer.order() == ByteOrder.LITTLE_ENDIAN,
            "the buffer's position, limit or order changed", input);
        check(alone.equals(inside), "at offset 0: " + alone + ", inside a buffer: " + inside, input);
        return alone;
    }

    private static void decodedIsWhole(final byte[] input, final Decoded d, final int maxLength) {
        check(d.length() >= 1 && d.length() <= input.length, "length " + d.length() + " of " + input.length, input);
        check(isV2(input) ? d.length() <= maxLength : d.length() <= ProxyHeaderDecoder.V1_MAX_LENGTH,
            "length " + d.length() + " over the bound", input);
        final byte[] header = Arrays.copyOf(input, d.length());
        check(ProxyHeaderDecoder.decode(ByteBuffer.wrap(header), maxLength).equals(d),
            "its own bytes decode differently", input);
        final int step = d.length() <= PREFIXES_CHECKED_IN_FULL ? 1 : d.length() / 64;
        for (int n = d.length() - 1; n >= 1; n -= step) {
            final DecodeResult prefix = ProxyHeaderDecoder.decode(ByteBuffer.wrap(input, 0, n), maxLength);
            check(prefix instanceof NeedMore, "the first " + n + " bytes of a " + d.length() + "-byte header: "
                + prefix, input);
        }
        if (d.header() instanceof Proxied p) {
            check(p.source() != null && p.destination() != null && p.transport() != null, "incomplete " + p, input);
        }
    }

    private static void staysMalformed(final byte[] input, final Malformed m) {
        final byte[] longer = Arrays.copyOf(input, input.length + 2);
        longer[input.length] = '\r';
        longer[input.length + 1] = '\n';
        final DecodeResult r = ProxyHeaderDecoder.decode(ByteBuffer.wrap(longer));
        check(r instanceof Malformed, m + " became " + r + " with CRLF after it", input);
    }

    private static void needsMoreOnlyWithinTheBound(final byte[] input) {
        final int bound = isV2(input) ? ProxyHeaderDecoder.DEFAULT_MAX_LENGTH : ProxyHeaderDecoder.V1_MAX_LENGTH;
        check(input.length < bound, "needs more after " + input.length + " bytes", input);
    }

    /**
     * Byte 0: bit 0 source IPv6, bit 1 destination IPv6, bit 2 version 2, bit 3 datagram; then 16 + 16 address
     * bytes and 2 + 2 port bytes, taken from the input in turn (zeros past its end).
     */
    private static void encodedEndpointsDecodeBack(final byte[] input) {
        final int flags = input.length == 0 ? 0 : input[0];
        final InetSocketAddress source = endpoint(input, 1, (flags & 1) != 0, 33);
        final InetSocketAddress destination = endpoint(input, 17, (flags & 2) != 0, 35);
        final boolean v2 = (flags & 4) != 0;
        final Transport transport = v2 && (flags & 8) != 0 ? Transport.DGRAM : Transport.STREAM;
        final ByteBuffer encoded = v2 ? ProxyHeaderEncoder.v2(source, destination, transport)
            : ProxyHeaderEncoder.v1(source, destination);
        final int length = encoded.remaining();
        final DecodeResult r = ProxyHeaderDecoder.decode(encoded);
        final Decoded expected = new Decoded(new Proxied(source, destination, transport), length);
        check(r.equals(expected), "encoded " + (v2 ? "v2 " : "v1 ") + source + " -> " + destination + " " + transport
            + " decodes as " + r, input);
    }

    private static InetSocketAddress endpoint(final byte[] input, final int from, final boolean v6, final int port) {
        final byte[] address = new byte[v6 ? 16 : 4];
        for (int i = 0; i < address.length; i++) {
            address[i] = at(input, from + i);
        }
        try {
            // an IPv4-mapped IPv6 address comes back as IPv4, as the decoder makes it
            return new InetSocketAddress(InetAddress.getByAddress(address),
                ((at(input, port) & 0xFF) << 8) | (at(input, port + 1) & 0xFF));
        } catch (final UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static byte at(final byte[] input, final int i) {
        return i < input.length ? input[i] : 0;
    }

    private static boolean isV2(final byte[] input) {
        return input.length > 0 && input[0] == ProxyHeaderDecoder.V2_SIGNATURE[0];
    }

    private static void check(final boolean ok, final String what, final byte[] input) {
        if (!ok) {
            throw new AssertionError(what + " (input " + HexFormat.of().formatHex(input) + ")");
        }
    }
}
