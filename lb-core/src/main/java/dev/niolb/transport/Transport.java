package dev.niolb.transport;

import dev.niolb.config.Splice;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.Poller;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Immutable; any thread.
 *
 * A way of doing socket I/O that the engine can run on: today JDK NIO; a Linux-native one plugs in beside it.
 * A transport opens each event loop's {@link Poller} and makes the sockets the loops' handlers own: what differs
 * between transports is here, and nothing above it (sessions, balancers, limits, health) knows which one runs.
 *
 * <p>Threading: immutable, any thread; the sockets it makes belong to the loop they are registered with.
 */
public interface Transport extends Poller.Factory {
    /** The name an operator writes ({@code --transport}, {@code transport:}) and the start line shows. */
    String name();

    /** Whether its datagram sockets can say what the kernel dropped on them ({@link DatagramSocket#receiveDrops}). */
    default boolean countsReceiveDrops() {
        return false;
    }

    /**
     * Binds {@code count} listening sockets to {@code address}, one per loop, with {@code SO_REUSEPORT} so the
     * kernel spreads connections over them; where that does not exist, one socket for all loops. First a probe
     * bind without {@code SO_REUSEPORT}: a plain {@code SO_REUSEPORT} bind would silently share the port with
     * another process of the same user and take half its connections, where an operator expects "address
     * already in use". Port 0 is resolved by the probe, so every socket binds the same real port. A transport that
     * adopts sockets from before a restart returns every one handed over for the address, more than {@code count}
     * when the process before ran more loops: closing one would reset the clients waiting in its queue.
     *
     * @throws java.net.BindException when the address is in use or cannot be bound; nothing is left open
     */
    List<ListeningSocket> listen(InetSocketAddress address, int backlog, int count) throws IOException;

    /**
     * As {@link #listen(InetSocketAddress, int, int)}; with {@code deferAccept}, each socket hands over a
     * connection only once the client's first bytes have arrived ({@code TCP_DEFER_ACCEPT}). A transport that
     * cannot do that refuses, rather than listen without it.
     */
    default List<ListeningSocket> listen(final InetSocketAddress address, final int backlog, final int count,
                                         final boolean deferAccept) throws IOException {
        if (deferAccept && !defersAccept()) {
            throw new IOException(deferAcceptRefusal());
        }
        return listen(address, backlog, count);
    }

    /**
     * Whether {@link #listen(InetSocketAddress, int, int, boolean)} can defer accepts: asked before a change is
     * made that would need it (a reload turning it on for a kept listener), so that the change is refused whole.
     */
    default boolean defersAccept() {
        return false;
    }

    /** Why a listener with {@code defer-accept} cannot listen on this transport, in one line. */
    default String deferAcceptRefusal() {
        return "defer-accept needs the epoll transport (running " + name() + ")";
    }

    /**
     * Whether a datagram socket bound to a wildcard address can tell the address a datagram was sent to and answer
     * from it ({@link DatagramSocket#receivedAt}): only a native transport's ({@code IP_PKTINFO}).
     */
    default boolean answersFromDestination() {
        return false;
    }

    /**
     * Whether a connected datagram socket can send an empty datagram: the JDK's DatagramChannel writes nothing for
     * an empty buffer (sun.nio.ch.IOUtil returns 0 before the syscall); a native transport sends it.
     */
    default boolean sendsEmptyDatagrams() {
        return false;
    }

    /** Whether {@link #relay} can splice (kernel to kernel): only a native transport's. */
    default boolean splices() {
        return false;
    }

    /**
     * One direction of a TCP session between two of this transport's sockets: through a pooled buffer by
     * default; a native transport may splice, as {@code splice} says.
     */
    default StreamRelay relay(final BufferPool pool, final Splice splice) {
        return new BufferRelay(pool);
    }

    /**
     * A new, unconnected, non-blocking TCP socket that can connect to {@code remote} (a server connection, a
     * health check): a native transport opens a socket of that address's family.
     */
    StreamSocket openStream(InetSocketAddress remote) throws IOException;

    /**
     * Binds {@code count} UDP sockets to {@code address}, one per loop, as {@link #listen} does for TCP (probe,
     * then {@code SO_REUSEPORT}); where that does not exist, one socket, for the first loop only: a flow lives on
     * one loop, and a shared socket would hand one client's datagrams to several.
     *
     * @throws java.net.BindException when the address is in use or cannot be bound; nothing is left open
     */
    List<DatagramSocket> bindDatagram(InetSocketAddress address, int count) throws IOException;

    /**
     * A new, unbound, non-blocking UDP socket that can connect to {@code remote} (a flow's socket to its server, a
     * health check's).
     */
    DatagramSocket openDatagram(InetSocketAddress remote) throws IOException;
}
