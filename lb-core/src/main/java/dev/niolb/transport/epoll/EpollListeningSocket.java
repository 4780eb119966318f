package dev.niolb.transport.epoll;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;
import dev.niolb.transport.ListeningSocket;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * Used on the event loop it is registered with (bound on any thread before that).
 *
 * A listening TCP socket. One {@code accept4} per connection gives the new socket non-blocking and close-on-exec
 * and the peer's address together: the JDK needs {@code accept}, {@code fcntl} and a {@code getpeername} for the
 * same.
 *
 * <p>Threading: the event loop it is registered with.
 */
final class EpollListeningSocket extends EpollFd implements ListeningSocket {
    private InetSocketAddress localAddress;

    EpollListeningSocket(final int fd, final int family) {
        super(fd, family);
    }

    /**
     * Starts listening, once bound. {@code TCP_NODELAY} on a listening socket does nothing for the listener itself,
     * but Linux copies it into every socket accepted from it: niolb's default (Nagle off, for a proxy's small
     * exchanges) then costs no {@code setsockopt} per connection.
     *
     * <p>With {@code deferAccept}, {@code TCP_DEFER_ACCEPT} of one second: the kernel keeps a connection until the
     * client's first bytes arrive, so an accept comes with bytes to read at once (and to send on with the server
     * handshake's last ACK, see {@link EpollStreamSocket#connect(InetSocketAddress, boolean)}), one wake-up less,
     * and a client that connects and says nothing costs no session until the kernel hands it over after about a
     * second. Set either way: a socket handed over by a previous niolb keeps what that one set.
     */
    void listen(final int backlog, final boolean deferAccept) throws IOException {
        ensureOpen();
        setInt(Libc.IPPROTO_TCP, Libc.TCP_NODELAY, 1);
        setInt(Libc.IPPROTO_TCP, Libc.TCP_DEFER_ACCEPT, deferAccept ? 1 : 0);
        if (Libc.listen(fd(), backlog) < 0) {
            throw Errors.last("listen");
        }
        this.localAddress = boundAddress();
    }

    @Override
    public Accepted accept() throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        while (true) {
            final MemorySegment length = scratch.length(scratch.addressCapacity());
            final int client = Libc.accept4(fd(), scratch.address, length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (client >= 0) {
                final EpollStreamSocket socket = new EpollStreamSocket(client, family(), true).readFirst();
                try {
                    return new Accepted(socket, SocketAddresses.read(scratch.address,
                        length.get(ValueLayout.JAVA_INT, 0)));
                } catch (final IOException e) {
                    socket.close(false);
                    throw e;
                }
            }
            final int errno = Libc.errno();
            switch (errno) {
                case Errors.EAGAIN -> {
                    return null;
                }
                case Errors.EINTR, Errors.ECONNABORTED, Errors.EPROTO -> {
                    // interrupted, or reset while in the backlog: nothing to serve, not a failure of accept
                }
                default -> throw Errors.of("accept4", errno); // out of descriptors: the caller backs off
            }
        }
    }

    @Override
    public Registration register(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        return registerWith(loop, ops, handler);
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    @Override
    public void close() {
        closeFd(false);
    }

    @Override
    public int descriptor() {
        return fd();
    }
}
