package dev.niolb.transport;

import dev.niolb.config.TcpOptions;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Used on the event loop it is registered with.
 *
 * A TCP connection as the engine uses it, whatever transport made it: non-blocking reads and writes into
 * buffers, connect, half-close, and a close that can abort (reset) instead of ending cleanly.
 *
 * <p>Threading: the event loop it is registered with, for its whole life.
 */
public interface StreamSocket {
    /** Sets the listener's options (no-delay, keep-alive). */
    void apply(TcpOptions options) throws IOException;

    /** Starts connecting: true when connected at once, else the loop reports {@code Ready.CONNECT}. */
    boolean connect(InetSocketAddress remote) throws IOException;

    /**
     * As {@link #connect(InetSocketAddress)}; with {@code bytesFollow}, the caller writes as soon as the connect
     * completes, so a transport may hold the handshake's last ACK back for those bytes to carry (HAProxy's
     * {@code tcp-smart-connect}). Never with nothing to write: the server would not see the connection until a
     * delayed-ACK timer (up to 200 ms on Linux), and a server that speaks first would wait that long.
     */
    default boolean connect(final InetSocketAddress remote, final boolean bytesFollow) throws IOException {
        return connect(remote);
    }

    /**
     * As {@link #connect(InetSocketAddress, boolean)} with bytes following, the first of which {@code first} holds:
     * a transport that asks a connect whether it is done by writing to it writes the start of {@code first} with
     * that very question, one system call for both. What was written moves {@code first}'s position, which can
     * happen only when this returns true.
     */
    default boolean connect(final InetSocketAddress remote, final ByteBuffer first) throws IOException {
        return connect(remote, true);
    }

    /**
     * Whether this accepted socket's first bytes have probably arrived already (the client writes as soon as its
     * handshake is done, and niolb accepts after a wake-up): worth one read before connecting to a server. Asked
     * once; false where a transport does not guess.
     */
    default boolean firstBytesLikely() {
        return false;
    }

    /** After {@code Ready.CONNECT}: true once connected; an {@link IOException} says why not. */
    boolean finishConnect() throws IOException;

    /** Reads what is there into {@code dst}: the count, 0 when nothing is, -1 at the end of the stream. */
    int read(ByteBuffer dst) throws IOException;

    /** Writes what the socket takes now from {@code src}: the count, perhaps 0. */
    int write(ByteBuffer src) throws IOException;

    /** Ends this direction (FIN): the peer reads the end of the stream; reading goes on. */
    void shutdownOutput() throws IOException;

    /**
     * Writes the last bytes before this direction ends: the caller shuts the output down (or closes) right after, so
     * a transport may hold a short tail back for the FIN to leave in the same segment. As {@link #write} otherwise.
     */
    default int writeLast(final ByteBuffer src) throws IOException {
        return write(src);
    }

    /**
     * Whether the peer's end of stream (its FIN) is known to have arrived, from the readiness that reported the
     * socket: what a read did not leave behind is then all there will be. False where a transport cannot tell.
     */
    default boolean endSeen() {
        return false;
    }

    /**
     * Bytes written to this socket that the peer has not acknowledged yet (Linux's {@code SIOCOUTQ}): 0 once the
     * peer's kernel holds everything written, so that a reset then loses nothing, and 0 once the connection is over
     * (reset), when nothing more will be acknowledged. -1 where the transport cannot tell (the JDK has no way to
     * ask), or the socket cannot answer.
     */
    default int unacknowledgedBytes() {
        return -1;
    }

    /** The address this end is bound to (what a PROXY header names as the destination). */
    InetSocketAddress localAddress() throws IOException;

    /** Watches the socket on {@code loop} for {@code ops} ({@code Ready} flags). Loop thread, or before it runs. */
    Registration register(EventLoop loop, int ops, IoHandler handler) throws IOException;

    /**
     * Closes the socket; with {@code abort}, with a reset (SO_LINGER 0) so the peer sees an abort, not an end.
     * Never throws: the descriptor is released either way. Idempotent.
     */
    void close(boolean abort);
}
