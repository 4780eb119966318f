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
}
