package dev.niolb.transport.epoll;

import dev.niolb.transport.LocalAddresses;
import dev.niolb.transport.ConnectionReset;
import dev.niolb.config.TcpOptions;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.StreamSocket;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Used on the event loop it is registered with.
 *
 * A TCP socket, non-blocking from birth ({@code socket} and {@code accept4} take {@code SOCK_NONBLOCK}, no
 * {@code fcntl}). Reads and writes go straight between the socket and the buffer's memory, direct or heap,
 * without the JDK's temporary direct buffer; writes use {@code send(MSG_NOSIGNAL)}, so a peer that is gone is
 * an {@code EPIPE} error, never a signal. The local address is asked for once and kept.
 *
 * <p>Threading: the event loop it is registered with.
 */
final class EpollStreamSocket extends EpollFd implements StreamSocket {
    private InetSocketAddress local;
    /** Read it once as soon as it is watched for reading, without asking epoll first (see {@link #readFirst}). */
    private boolean readFirst;
    /** What the kernel has for {@code TCP_NODELAY}: {@link #apply} sets it only when the options ask otherwise. */
    private boolean noDelay;
    /** The peer's FIN has arrived (from epoll's {@code EPOLLRDHUP}); it never leaves. */
    private boolean endSeen;
    /** TCP urgent data has arrived (epoll's {@code EPOLLPRI}) at some time; it never leaves either. */
    private boolean urgentSeen;
    /** A read (or splice) found the end of the stream: nothing the peer sent is left unread. */
    private boolean endRead;
    /** This side's FIN has been sent ({@link #shutdownOutput}). */
    private boolean outputShut;
    /** {@code TCP_QUICKACK} was turned off for the connect and is to be turned on once the first bytes went. */
    private boolean ackHeld;

    /** @param noDelay whether the socket has {@code TCP_NODELAY} already (accepted: from its listener) */
    EpollStreamSocket(final int fd, final int family, final boolean noDelay) {
        super(fd, family);
        this.noDelay = noDelay;
    }

    /**
     * An accepted client has usually sent its first bytes by the time niolb accepts it (the client writes as
     * soon as its handshake is done, niolb accepts after a wake-up): read it right away when its session starts
     * reading, rather than after another {@code epoll_wait}. HAProxy's speculative receive does the same. When
     * nothing is there yet, the cost is one read that finds EAGAIN.
     */
    EpollStreamSocket readFirst() {
        readFirst = true;
        return this;
    }

    @Override
    boolean takeReadHint() {
        final boolean hint = readFirst;
        readFirst = false;
        return hint;
    }

    /** Its peer may reset it while a relay holds back its reads and has nothing to write to it. */
    @Override
    boolean hearsResetsWhileIdle() {
        return true;
    }

    @Override
    public void apply(final TcpOptions options) throws IOException {
        if (options.noDelay() != noDelay) {
            setInt(Libc.IPPROTO_TCP, Libc.TCP_NODELAY, options.noDelay() ? 1 : 0);
            noDelay = options.noDelay();
        }
        if (options.keepAlive()) {
            setInt(Libc.SOL_SOCKET, Libc.SO_KEEPALIVE, 1);
        }
        // before the connect on a server's socket, so that the window scale it offers fits the size
        if (options.receiveBuffer() > 0) {
            setInt(Libc.SOL_SOCKET, Libc.SO_RCVBUF, options.receiveBuffer());
        }
        if (options.sendBuffer() > 0) {
            setInt(Libc.SOL_SOCKET, Libc.SO_SNDBUF, options.sendBuffer());
        }
    }

    /** The read hint, taken: the caller reads now, so the poller does not read again when it is watched. */
    @Override
    public boolean firstBytesLikely() {
        return takeReadHint();
    }

    /**
     * With {@code TCP_QUICKACK} off before the connect, the kernel holds the handshake's last ACK (up to its
     * delayed-ACK timer) and sends it with the first bytes written: one segment less per connection, and the server
     * sees its connection established and readable at once. One {@code setsockopt}; a refusal only costs that
     * segment. Once those bytes went, quick ACKs are turned on again ({@link #releaseAck}).
     */
    @Override
    public boolean connect(final InetSocketAddress remote, final boolean bytesFollow) throws IOException {
        if (bytesFollow) {
            holdHandshakeAck();
        }
        return start(remote, null);
    }

    /**
     * The loopback test of {@link #connectedAlready} is a send: with bytes to write, those bytes are what it sends,
     * instead of nothing and then them.
     */
    @Override
    public boolean connect(final InetSocketAddress remote, final ByteBuffer first) throws IOException {
        holdHandshakeAck();
        return start(remote, first);
    }

    @Override
    public boolean connect(final InetSocketAddress remote) throws IOException {
        return start(remote, null);
    }

    private void holdHandshakeAck() {
        try {
            setInt(Libc.IPPROTO_TCP, Libc.TCP_QUICKACK, 0);
            ackHeld = true;
        } catch (final IOException refused) {
            // the handshake's ACK goes on its own, as without the option; a closed socket fails the connect
        }
    }

    /**
     * Quick ACKs again, after the first bytes took the handshake's ACK along. Left off, the socket stayed in the
     * kernel's delayed-ACK ("pingpong") mode until a delayed ACK fired, so the server's first reply was ACKed 40 ms
     * late, and a server with Nagle's algorithm on held the rest of its reply for that ACK: 40 ms more on the first
     * reply of every connection (black-box testing, session 34; HAProxy holds the ACK only with
     * {@code option tcp-smart-connect}). One more {@code setsockopt} per connection that held it.
     */
    /** Bytes went out other than by {@link #write} (a splice): the handshake's ACK with them. */
    void sent() {
        if (ackHeld) {
            releaseAck();
        }
    }

    private void releaseAck() {
        ackHeld = false;
        try {
            setInt(Libc.IPPROTO_TCP, Libc.TCP_QUICKACK, 1);
        } catch (final IOException closed) {
            // the next call on the socket says what happened to it
        }
    }

    /** connect(2), and on EINPROGRESS to a local address the send that tells whether it is done, with {@code first}. */
    private boolean start(final InetSocketAddress remote, final ByteBuffer first) throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final int length = SocketAddresses.write(remote, family(), scratch.address);
        while (true) {
            if (Libc.connect(fd(), scratch.address, length) == 0) {
                return true;
            }
            final int errno = Libc.errno();
            if (errno == Errors.EINPROGRESS) {
                return LocalAddresses.HOST.isLocal(remote.getAddress()) && connectedAlready(first);
            }
            if (errno != Errors.EINTR) {
                throw Errors.of("connect", errno);
            }
        }
    }

    /**
     * Whether a connect that said EINPROGRESS has completed by now. A loopback handshake is done inside the
     * {@code connect} call itself (the SYN, SYN-ACK and ACK are handled in the caller's own softirq), yet the
     * call still reports EINPROGRESS: a send tells, as it fails with EAGAIN only while the socket is still
     * connecting; a send of the first bytes to go, when there are some, else of nothing. One syscall instead of a
     * wake-up for {@code EPOLLOUT}, a {@code getsockopt(SO_ERROR)} and an {@code epoll_ctl} to turn the interest
     * from writing to reading. Asked for servers at this host's own addresses only ({@link LocalAddresses}:
     * loopback, or any interface's, which the kernel routes through loopback too): elsewhere a handshake takes a
     * round trip, and the send would find EAGAIN every time.
     *
     * @throws IOException when the connect failed already (refused: nothing listens there)
     */
    private boolean connectedAlready(final ByteBuffer first) throws IOException {
        final int position = first == null ? 0 : first.position();
        final int count = first == null ? 0 : first.limit() - position;
        final MemorySegment bytes = count == 0 ? MemorySegment.NULL : MemorySegment.ofBuffer(first);
        while (true) {
            final long n = Libc.send(fd(), bytes, count, Libc.MSG_NOSIGNAL);
            if (n >= 0) {
                if (n > 0) {
                    first.position(position + (int) n);
                    if (ackHeld) {
                        releaseAck();
                    }
                }
                return true;
            }
            final int errno = Libc.errno();
            if (errno == Errors.EAGAIN) {
                return false; // still connecting (a full backlog at the server): wait for EPOLLOUT as usual
            }
            if (errno != Errors.EINTR) {
                throw Errors.of("connect", errno);
            }
        }
    }

    @Override
    public boolean finishConnect() throws IOException {
        final int error = getInt(Libc.SOL_SOCKET, Libc.SO_ERROR);
        if (error == Errors.ECONNRESET) {
            throw new ConnectionReset(Libc.strerror(error)); // established, then reset
        }
        if (error != 0) {
            throw Errors.of("connect", error);
        }
        return true;
    }

    @Override
    public int read(final ByteBuffer dst) throws IOException {
        ensureOpen();
        final int position = dst.position();
        final int room = dst.limit() - position;
        if (room == 0) {
            return 0;
        }
        while (true) {
            final long n = Libc.recv(fd(), MemorySegment.ofBuffer(dst), room, 0);
            if (n > 0) {
                dst.position(position + (int) n);
                return (int) n;
            }
            if (n == 0) {
                endRead = true;
                return -1;
            }
            final int errno = Libc.errno();
            if (errno == Errors.EAGAIN) {
                return 0;
            }
            if (errno != Errors.EINTR) {
                throw Errors.of("read", errno);
            }
        }
    }

    @Override
    public int write(final ByteBuffer src) throws IOException {
        return send(src, Libc.MSG_NOSIGNAL);
    }

    private int send(final ByteBuffer src, final int flags) throws IOException {
        ensureOpen();
        final int position = src.position();
        final int count = src.limit() - position;
        if (count == 0) {
            return 0;
        }
        while (true) {
            final long n = Libc.send(fd(), MemorySegment.ofBuffer(src), count, flags);
            if (n >= 0) {
                src.position(position + (int) n);
                if (ackHeld && n > 0) {
                    releaseAck();
                }
                return (int) n;
            }
            final int errno = Libc.errno();
            if (errno == Errors.EAGAIN) {
                return 0;
            }
            if (errno != Errors.EINTR) {
                throw Errors.of("send", errno);
            }
        }
    }

    /**
     * With {@code MSG_MORE}: a tail shorter than a segment waits in the kernel for the shutdown or close that
     * follows, which sends it with the FIN, one segment instead of two (HAProxy does the same when it knows the
     * end follows). Nothing waits long: the caller ends the direction in the same turn of the loop.
     */
    @Override
    public int writeLast(final ByteBuffer src) throws IOException {
        return send(src, Libc.MSG_NOSIGNAL | Libc.MSG_MORE);
    }

    @Override
    void endArrived() {
        endSeen = true;
    }

    @Override
    void urgentArrived() {
        urgentSeen = true;
    }

    /**
     * Not once urgent data has come: a read stops short at its mark, and a short read after the FIN, taken for
     * the last, cut the stream there with a clean end (black-box testing, session 29; HAProxy relays on). Such a
     * socket's end is read as such, a read that returns it, as on a transport that cannot tell.
     */
    @Override
    public boolean endSeen() {
        return endSeen && !urgentSeen;
    }

    /** A splice from this socket found the end of the stream. */
    void endRead() {
        endRead = true;
    }

    @Override
    public void shutdownOutput() throws IOException {
        ensureOpen();
        if (Libc.shutdown(fd(), Libc.SHUT_WR) < 0) {
            throw Errors.last("shutdown");
        }
        outputShut = true;
    }

    @Override
    public int unacknowledgedBytes() {
        if (isClosed()) {
            return -1;
        }
        final Scratch scratch = Scratch.mine();
        // a reset connection keeps its count for ever (the kernel drops the bytes, not the count): nothing will be
        // acknowledged, so nothing is left to wait for. tcpi_state is the first byte; a short read of tcp_info is fine
        if (Libc.getsockopt(fd(), Libc.IPPROTO_TCP, Libc.TCP_INFO, scratch.option, scratch.length(8)) == 0
            && scratch.option.get(ValueLayout.JAVA_BYTE, 0) == Libc.TCP_STATE_CLOSE) {
            return 0;
        }
        if (Libc.ioctl(fd(), Libc.SIOCOUTQ, scratch.option) < 0) {
            return -1;
        }
        return scratch.option.get(ValueLayout.JAVA_INT, 0);
    }

    @Override
    public InetSocketAddress localAddress() throws IOException {
        if (local == null) {
            local = boundAddress();
        }
        return local;
    }

    @Override
    public Registration register(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        return registerWith(loop, ops, handler);
    }

    /**
     * A clean close of a socket whose peer may still be sending (a drain, the maximum age, an idle timeout, a
     * refusal before any server) sends the FIN first: Linux answers a close with bytes still unread by a reset
     * alone, and the peer would lose what it had not read yet and see an abort, not the clean end the docs
     * promise. After the FIN the reset that follows reaches the peer behind it, so it reads everything, then the
     * end. This is what the JDK does for a registered channel's close (nio). Where the peer's end was read, or
     * this side's FIN was sent, nothing changes: no extra call on a session's ordinary end.
     */
    @Override
    public void close(final boolean abort) {
        if (!abort && !outputShut && !endRead && !isClosed()) {
            Libc.shutdown(fd(), Libc.SHUT_WR); // an error (not connected) leaves the close as it was
        }
        closeFd(abort);
    }
}
