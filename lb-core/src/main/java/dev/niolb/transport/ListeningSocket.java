package dev.niolb.transport;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Used on the event loop it is registered with.
 *
 * One loop's listening TCP socket.
 *
 * <p>Threading: the event loop it is registered with (made on any thread, before it is registered).
 */
public interface ListeningSocket {
    /**
     * Takes a connection from the backlog, non-blocking, with its peer's address; null when none waits.
     *
     * @throws IOException when accepting fails (out of descriptors: the caller backs off)
     */
    Accepted accept() throws IOException;

    /** Watches for connections on {@code loop} ({@code Ready.ACCEPT}). Loop thread, or before it runs. */
    Registration register(EventLoop loop, int ops, IoHandler handler) throws IOException;

    /** The address it is bound to (with the real port when port 0 was asked). */
    InetSocketAddress localAddress();

    /**
     * The operating system's descriptor, for a service manager to keep the socket open across a restart
     * (systemd's {@code FDSTORE}); -1 where the transport cannot hand its sockets over (NIO).
     */
    default int descriptor() {
        return -1;
    }

    /** Stops listening; connections still in the backlog are refused. Never throws. */
    void close();

    /** A connection taken from the backlog, and who it is from. */
    record Accepted(StreamSocket socket, InetSocketAddress peer) {
    }
}
