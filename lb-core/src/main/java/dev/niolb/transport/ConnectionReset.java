package dev.niolb.transport;

import java.net.SocketException;

/**
 * The peer reset a connection that had been established: from {@link StreamSocket#finishConnect}, a server that
 * completed the handshake and reset before the connect was seen done (ECONNRESET), which is not a refused,
 * unreachable or timed-out connect. Every transport reports it as this type, so that the engine tells the two
 * apart the same way whichever moved the bytes.
 */
public final class ConnectionReset extends SocketException {
    private static final long serialVersionUID = 1L;

    public ConnectionReset(final String message) {
        super(message);
    }

    /**
     * Whether {@code e} says the peer reset the connection: this type, from epoll, or the JDK's own words from NIO
     * ({@code sun.net.ConnectionResetException}'s "Connection reset", or "Connection reset by peer" from a write).
     */
    public static boolean is(final java.io.IOException e) {
        return e instanceof ConnectionReset || e.getMessage() != null && e.getMessage().startsWith("Connection reset");
    }
}
