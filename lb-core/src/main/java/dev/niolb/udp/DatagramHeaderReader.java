package dev.niolb.udp;

import dev.niolb.proxyprotocol.DecodeResult;
import dev.niolb.proxyprotocol.ProxyHeaderDecoder;

import java.nio.ByteBuffer;

/**
 * Runs on its receiver's event loop.
 *
 * Strips the PROXY protocol v2 header a trusted peer puts in front of each datagram, for one {@link UdpReceiver}.
 * A v1 header is refused as malformed: v1 names TCP connections only, and the documentation promises v2 for UDP.
 *
 * <p>Not threadsafe: owned by its receiver's loop. A datagram is whole, so a header that does not decode (cut
 * short included) is malformed. A proxy forwarding a client's datagrams repeats the same header on each, so the
 * last decoded header is kept with its bytes: a datagram that starts with exactly those bytes reuses it, and a
 * steady flow decodes (and allocates) nothing per datagram. Interleaved clients cost one decode each change.
 */
final class DatagramHeaderReader {
    /** Headers longer than this are decoded every time rather than kept: v2 IPv6 with a few TLVs fits. */
    private static final int KEEP_MAX = 128;
    /** The v2 signature's first byte; a v1 line starts with 'P'. */
    private static final byte V2_FIRST_BYTE = 0x0D;

    private final int maxLength;
    private final byte[] lastBytes = new byte[KEEP_MAX];
    private int lastLength; // 0: nothing kept
    private DecodeResult.Decoded last;
    private DecodeResult.Problem problem;

    DatagramHeaderReader(final int maxLength) {
        this.maxLength = maxLength;
    }

    /**
     * The header at the datagram's position; on success the position moves past it. Null when the datagram does
     * not start with a valid header ({@link #problem()} says why).
     */
    DecodeResult.Decoded strip(final ByteBuffer datagram) {
        final int start = datagram.position();
        if (lastLength > 0 && startsWithLast(datagram, start)) {
            datagram.position(start + lastLength);
            return last;
        }
        final DecodeResult result = ProxyHeaderDecoder.decode(datagram, maxLength);
        if (!(result instanceof DecodeResult.Decoded decoded)) {
            problem = result instanceof DecodeResult.Malformed m ? m.problem() : DecodeResult.Problem.TRUNCATED;
            return null;
        }
        if (datagram.get(start) != V2_FIRST_BYTE) {
            // a v1 line decodes (the decoder serves TCP too), but v1 is TCP's: a datagram's must be v2
            problem = DecodeResult.Problem.V1_ON_DATAGRAM;
            return null;
        }
        if (decoded.length() <= KEEP_MAX) {
            datagram.get(start, lastBytes, 0, decoded.length());
            lastLength = decoded.length();
            last = decoded;
        }
        datagram.position(start + decoded.length());
        return decoded;
    }

    /** Why the last datagram refused had no valid header. */
    DecodeResult.Problem problem() {
        return problem;
    }

    private boolean startsWithLast(final ByteBuffer datagram, final int start) {
        if (datagram.limit() - start < lastLength) {
            return false;
        }
        for (int i = 0; i < lastLength; i++) {
            if (datagram.get(start + i) != lastBytes[i]) {
                return false;
            }
        }
        return true;
    }
}
