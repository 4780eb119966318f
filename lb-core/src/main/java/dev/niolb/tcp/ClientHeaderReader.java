package dev.niolb.tcp;

import dev.niolb.proxyprotocol.DecodeResult;
import dev.niolb.proxyprotocol.ProxyHeader;
import dev.niolb.proxyprotocol.ProxyHeaderDecoder;
import dev.niolb.transport.StreamSocket;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Runs on its session's event loop.
 *
 * Reads the PROXY protocol header a trusted peer sends before anything else, for one {@link TcpSession}.
 *
 * <p>Not threadsafe: owned by its session's loop, and dropped once the header is read. Bytes are read into a
 * small heap buffer of the session's own ({@value #INITIAL_SIZE} bytes: a v1 line, or a v2 header with a few
 * TLVs), not a pooled relay buffer, so that thousands of peers slow to send their headers hold kilobytes rather
 * than relay buffers. A v2 header that announces more grows it once to exactly its length, bounded by the
 * listener's maximum. Bytes that arrive after the header in the same read are kept and handed on
 * ({@link #leftover()}) to be relayed first.
 */
final class ClientHeaderReader {
    /** More bytes are needed. */
    static final int NEED_MORE = 0;
    /** The header is complete: see {@link #header()} and {@link #leftover()}. */
    static final int DONE = 1;
    /** Not a valid header: see {@link #problem()}. */
    static final int MALFORMED = 2;
    /** Longer than the bound: see {@link #problem()}. */
    static final int OVERSIZE = 3;
    /** The peer closed before its header ended. */
    static final int CLOSED = 4;
    /** The peer reset, or reading failed, before its header ended. */
    static final int RESET = 5;

    static final int INITIAL_SIZE = 256;

    private final int maxLength;
    private ByteBuffer buffer = ByteBuffer.allocate(INITIAL_SIZE); // fill mode until DONE
    private ProxyHeader header;
    private DecodeResult.Problem problem;

    ClientHeaderReader(final int maxLength) {
        this.maxLength = maxLength;
    }

    /** The peer is readable: reads what it has sent and decodes. */
    int onReadable(final StreamSocket channel) {
        while (true) {
            final int n;
            try {
                n = channel.read(buffer);
            } catch (final IOException e) {
                return RESET;
            }
            if (n < 0) {
                return CLOSED;
            }
            if (n == 0) {
                return NEED_MORE;
            }
            buffer.flip();
            final DecodeResult result = ProxyHeaderDecoder.decode(buffer, maxLength);
            switch (result) {
                case DecodeResult.Decoded d -> {
                    header = d.header();
                    buffer.position(d.length()); // read mode: what remains came after the header
                    return DONE;
                }
                case DecodeResult.Malformed m -> {
                    problem = m.problem();
                    return problem.oversize() ? OVERSIZE : MALFORMED;
                }
                case DecodeResult.NeedMore ignored -> {
                    final int expected = ProxyHeaderDecoder.expectedLength(buffer); // within maxLength, or refused
                    buffer.position(buffer.limit()).limit(buffer.capacity()); // back to fill mode
                    if (!buffer.hasRemaining()) {
                        if (expected <= buffer.capacity()) {
                            // cannot happen: a v1 line fits, and a v2 header that fits is decoded or refused
                            problem = DecodeResult.Problem.V2_TOO_LONG;
                            return OVERSIZE;
                        }
                        final ByteBuffer bigger = ByteBuffer.allocate(expected);
                        buffer.flip();
                        buffer = bigger.put(buffer);
                    }
                }
            }
        }
    }

    /** The decoded header, after {@link #DONE}. */
    ProxyHeader header() {
        return header;
    }

    /** Bytes the peer sent after its header (read mode), or null when there were none. After {@link #DONE}. */
    ByteBuffer leftover() {
        return buffer.hasRemaining() ? buffer : null;
    }

    /** Why the header was refused, after {@link #MALFORMED} or {@link #OVERSIZE}. */
    DecodeResult.Problem problem() {
        return problem;
    }
}
