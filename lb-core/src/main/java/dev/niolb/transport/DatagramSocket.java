package dev.niolb.transport;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Used on the event loop it is registered with.
 *
 * A UDP socket as the engine uses it, whatever transport made it: a listener's socket (receive with the sender's
 * address, send to an address) or a flow's socket connected to one server (write, receive).
 *
 * <p>Threading: the event loop it is registered with.
 *
 * <p>On a connected socket, an ICMP port unreachable that an earlier datagram drew is reported by the next
 * receive or write as {@link java.net.PortUnreachableException}: passive health counts it as a failed connect.
 */
public interface DatagramSocket {
    /**
     * Takes one datagram into {@code dst} (what does not fit is lost: the caller sees a full buffer).
     *
     * @return its sender, or null when none waits
     */
    InetSocketAddress receive(ByteBuffer dst) throws IOException;

    /**
     * Sends {@code src} as one datagram to {@code to}: the bytes sent, 0 when the send buffer is full. A transport
     * that batches (epoll: {@code sendmmsg}) may instead take the datagram to send before its loop next waits and
     * return its size; what the kernel then refuses is reported to the {@link Refusals} set with
     * {@link #onRefused}, never lost silently.
     */
    int send(ByteBuffer src, InetSocketAddress to) throws IOException;

    /**
     * The local address the datagram last {@link #receive received} was sent to, where this socket can tell: a
     * socket bound to a wildcard address on a transport that asks the kernel (epoll, {@code IP_PKTINFO}); null
     * otherwise (bound to one address, or a transport that cannot tell).
     */
    default InetAddress receivedAt() {
        return null;
    }

    /**
     * As {@link #send(ByteBuffer, InetSocketAddress)}, from the local address {@code from} (what
     * {@link #receivedAt} said a client wrote to), so that a wildcard-bound listener answers from the address it
     * was asked at; null, or a transport that cannot choose, sends from what the kernel's routing picks.
     */
    default int send(final ByteBuffer src, final InetSocketAddress to, final InetAddress from) throws IOException {
        return send(src, to);
    }

    /**
     * As {@link #send(ByteBuffer, InetSocketAddress, InetAddress)}, for {@code owner}, one of several that send
     * through this socket (a flow's replies out of its listener's socket): if a batching transport then cannot
     * send the datagram, {@code owner} hears of it rather than the {@link Refusals} set with {@link #onRefused}.
     */
    default int send(final ByteBuffer src, final InetSocketAddress to, final InetAddress from, final Refusals owner)
        throws IOException {
        return send(src, to, from);
    }

    /**
     * Runs {@code task} once every datagram this socket took so far has been sent or refused, and each refusal
     * reported: at once when nothing waits (always, on a transport that sends at once), else when the transport
     * sends its queue or the socket closes. On the socket's loop; the task must neither send on this socket nor
     * close it. An owner that ends (a flow) reports its byte counts from here, so that they leave out what the
     * kernel refused.
     */
    default void whenSent(final Runnable task) {
        task.run();
    }

    /**
     * Datagrams the kernel dropped on this socket so far because its receive queue was full; -1 where the transport
     * cannot ask (the JDK has no way; epoll reads {@code SO_MEMINFO}). Asked by a flow before it closes its socket.
     */
    default long receiveDrops() {
        return -1;
    }

    /** Connects to one peer: writes go there, and only its datagrams are received. */
    void connect(InetSocketAddress remote) throws IOException;

    /**
     * Sets {@code SO_RCVBUF} to {@code bytes}: what the kernel may queue for this socket before it drops. Returns
     * the size granted, which Linux caps at {@code net.core.rmem_max} (it reports twice that, room for its
     * bookkeeping; this returns the half, as the JDK does). The socket's loop, or before it runs.
     */
    int receiveBuffer(int bytes) throws IOException;

    /**
     * Sends {@code src} as one datagram to the connected peer: the bytes sent, 0 when the buffer is full. Batched
     * as {@link #send(ByteBuffer, InetSocketAddress)} may be; an ICMP port unreachable a batched datagram met is
     * then reported by the next receive or write, as one an earlier datagram drew.
     */
    int write(ByteBuffer src) throws IOException;

    /**
     * Sends the buffers together as one datagram to the connected peer (a PROXY header and a payload); batched too.
     * If a batching transport then cannot send it, {@code owner} hears of it (with the whole datagram's bytes)
     * rather than the {@link Refusals} set with {@link #onRefused}: a flow learns that its header did not go.
     */
    long write(ByteBuffer[] srcs, Refusals owner) throws IOException;

    /**
     * Whether the kernel holds an ICMP port unreachable for this connected socket that no read has taken yet (and
     * takes it). False where it cannot tell (NIO: only a read says, and a read would take a reply too).
     */
    default boolean refusedAlready() {
        return false;
    }

    /**
     * Where to report datagrams a send or write accepted (returned their size) that the kernel refused when the
     * transport sent them later, on the loop, before it next waited: a full send buffer, an address it would not
     * send to, a port unreachable. A transport that sends at once (NIO) never calls it: it returns 0 or throws.
     */
    default void onRefused(final Refusals refusals) {
    }

    /** Datagrams a batching transport accepted and then could not send. Called on the socket's loop. */
    @FunctionalInterface
    interface Refusals {
        /** {@code datagrams} accepted earlier in this loop's wake-up, {@code bytes} of payload in all, were dropped. */
        void refused(int datagrams, long bytes);
    }

    /** Watches the socket on {@code loop} for {@code ops} ({@code Ready} flags). Loop thread, or before it runs. */
    Registration register(EventLoop loop, int ops, IoHandler handler) throws IOException;

    /** The address it is bound to. */
    InetSocketAddress localAddress() throws IOException;

    /**
     * The operating system's descriptor, for a service manager to keep the socket open across a restart
     * (systemd's {@code FDSTORE}); -1 where the transport cannot hand its sockets over (NIO).
     */
    default int descriptor() {
        return -1;
    }

    /** Closes the socket (and stops watching it). Never throws. Idempotent. */
    void close();
}
