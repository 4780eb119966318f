package dev.niolb.transport.epoll;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.IoHandler;
import dev.niolb.loop.Registration;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;

/**
 * Used on the event loop it is registered with (made on any thread before that).
 *
 * A socket descriptor of the epoll transport: what every kind of socket shares (its registration, its options,
 * its local address, its close). The descriptor is closed once, and after that nothing is called on it: a number
 * the kernel hands out again at once must never be closed or written twice.
 *
 * <p>A socket is its own {@link Registration} in its loop's epoll set: the interest its owner asked for and what
 * the kernel holds ({@code epoll_ctl} is called only when that changes, and not at all for a close: closing the
 * descriptor takes it out of the set). One object per socket rather than two: an idle connection is two sockets,
 * and the registration objects were 56 bytes each under ZGC.
 */
abstract sealed class EpollFd implements Registration permits EpollStreamSocket, EpollListeningSocket, EpollDatagramSocket {
    private final int fd;
    private final int family;
    private boolean closed;
    // its registration, while a loop's poller watches it (at most one at a time)
    private EpollPoller poller;
    private IoHandler handler;
    private int slot;
    private int generation;
    private int interest;
    private int inKernel;
    // in the kernel's epoll set, perhaps with no events: a connected stream socket stays there while its owner
    // waits for nothing, so that the kernel still reports its reset (EPOLLERR), which a DEL would silence
    private boolean inSet;
    private boolean registered;
    /** Queued to be reported readable again by the poller (see {@link EpollPoller#readyAgain}). */
    boolean again;

    EpollFd(final int fd, final int family) {
        this.fd = fd;
        this.family = family;
    }

    /** A new non-blocking, close-on-exec socket. */
    static int open(final int family, final int type) throws IOException {
        final int fd = Libc.socket(family, type | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw Errors.last("socket");
        }
        return fd;
    }

    final int fd() {
        return fd;
    }

    final int family() {
        return family;
    }

    final boolean isClosed() {
        return closed;
    }

    final void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("Socket closed");
        }
    }

    final Registration registerWith(final EventLoop loop, final int ops, final IoHandler handler) throws IOException {
        ensureOpen();
        if (!(loop.poller() instanceof EpollPoller poller)) {
            throw new IllegalStateException("event loop " + loop.index() + " does not run on the epoll transport");
        }
        return poller.register(this, ops, handler);
    }

    /** The poller of the loop watching this socket, or null when none does. */
    final EpollPoller poller() {
        return registered ? poller : null;
    }

    /** Taken into {@code by}'s table at {@code at}; a socket is watched by one loop at a time. */
    final void attach(final EpollPoller by, final IoHandler owner, final int at, final int gen) {
        if (registered) {
            throw new IllegalStateException("socket already registered");
        }
        poller = by;
        handler = owner;
        slot = at;
        generation = gen;
        interest = 0;
        inKernel = 0;
        inSet = false;
        again = false;
        registered = true;
    }

    @Override
    public final void interest(final int ops) {
        if (!registered) {
            throw new IllegalStateException("registration cancelled");
        }
        change(ops);
    }

    @Override
    public final void hearResets() {
        if (registered && !inSet && interest == 0 && hearsResetsWhileIdle()) {
            if (poller.ctl(Libc.EPOLL_CTL_ADD, fd, 0, ((long) generation << 32) | slot) < 0) {
                throw new UncheckedIOException(Errors.last("epoll_ctl"));
            }
            inSet = true;
            inKernel = 0;
        }
    }

    /**
     * Whether what this socket was queued for by {@link EpollPoller#readyAgain} is still there when the poller
     * gets to it: the same handler may have taken it meanwhile. As queued, unless a kind of socket can tell.
     */
    boolean stillReady() {
        return true;
    }

    /** Sets the interest, telling the kernel only when its epoll events change. */
    final void change(final int ops) {
        interest = ops;
        if ((ops & dev.niolb.loop.Ready.READ) != 0 && takeReadHint()) {
            poller.readyAgain(this);
        }
        final int wanted = EpollPoller.epollEvents(ops);
        if (inSet ? wanted == inKernel : wanted == 0) {
            return;
        }
        final int op = !inSet ? Libc.EPOLL_CTL_ADD
            : wanted != 0 || hearsResetsWhileIdle() ? Libc.EPOLL_CTL_MOD : Libc.EPOLL_CTL_DEL;
        if (poller.ctl(op, fd, wanted, ((long) generation << 32) | slot) < 0) {
            throw new UncheckedIOException(Errors.last("epoll_ctl"));
        }
        inKernel = wanted;
        inSet = op != Libc.EPOLL_CTL_DEL;
    }

    /**
     * Whether this socket stays in the epoll set with no events while its owner waits for nothing (a relay held
     * back by the other side), so that its peer's reset is still heard: the owner is told {@link
     * dev.niolb.loop.Ready#ERROR}. A connected stream socket does; no other kind can be reset.
     */
    boolean hearsResetsWhileIdle() {
        return false;
    }

    /**
     * The kernel reported an error or a hangup on this socket while its owner waits for nothing: it leaves the
     * set, since a hangup with no error is level-triggered and would wake every wait until the socket closes. A
     * new interest puts it back.
     */
    final void leaveSetWhileIdle() {
        if (inSet && interest == 0) {
            poller.ctl(Libc.EPOLL_CTL_DEL, fd, 0, 0);
            inSet = false;
            inKernel = 0;
        }
    }

    @Override
    public final void cancel() {
        if (!registered) {
            return;
        }
        if (inSet) {
            poller.ctl(Libc.EPOLL_CTL_DEL, fd, 0, 0); // the socket stays open: the kernel must forget it
            inSet = false;
            inKernel = 0;
        }
        forget();
    }

    /** Its socket is being closed (the close takes it out of the epoll set, so no {@code epoll_ctl}), or cancelled. */
    final void forget() {
        if (registered) {
            registered = false;
            poller.release(this);
        }
    }

    @Override
    public final boolean isValid() {
        return registered;
    }

    final int interestOps() {
        return interest;
    }

    /** Whether the kernel's epoll set holds this socket now (tests). */
    final boolean inEpollSet() {
        return inSet;
    }

    final IoHandler handler() {
        return handler;
    }

    final int slot() {
        return slot;
    }

    final int generation() {
        return generation;
    }

    final void setInt(final int level, final int name, final int value) throws IOException {
        ensureOpen();
        final MemorySegment option = Scratch.mine().option;
        option.set(ValueLayout.JAVA_INT, 0, value);
        if (Libc.setsockopt(fd, level, name, option, 4) < 0) {
            throw Errors.last("setsockopt");
        }
    }

    final int getInt(final int level, final int name) throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        if (Libc.getsockopt(fd, level, name, scratch.option, scratch.length(4)) < 0) {
            throw Errors.last("getsockopt");
        }
        return scratch.option.get(ValueLayout.JAVA_INT, 0);
    }

    /** Binds to {@code address}. */
    final void bind(final InetSocketAddress address) throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final int length = SocketAddresses.write(address, family, scratch.address);
        if (Libc.bind(fd, scratch.address, length) < 0) {
            throw Errors.last("bind");
        }
    }

    /** The address the socket is bound to ({@code getsockname}). */
    final InetSocketAddress boundAddress() throws IOException {
        ensureOpen();
        final Scratch scratch = Scratch.mine();
        final MemorySegment length = scratch.length(scratch.addressCapacity());
        if (Libc.getsockname(fd, scratch.address, length) < 0) {
            throw Errors.last("getsockname");
        }
        return SocketAddresses.read(scratch.address, length.get(ValueLayout.JAVA_INT, 0));
    }

    /** Closes the descriptor (once); with {@code abort}, a stream socket resets its peer (SO_LINGER 0). */
    final void closeFd(final boolean abort) {
        if (closed) {
            return;
        }
        closed = true;
        forget();
        if (abort) {
            final MemorySegment linger = Scratch.mine().option;
            linger.set(ValueLayout.JAVA_INT, 0, 1); // l_onoff
            linger.set(ValueLayout.JAVA_INT, 4, 0); // l_linger: 0 seconds, so close sends a reset
            Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_LINGER, linger, 8);
        }
        Libc.close(fd); // Linux releases the descriptor even when close reports an error: never retried
    }

    /** Whether this socket holds received bytes of its own that epoll cannot see (a datagram batch). */
    boolean holdsReadable() {
        return false;
    }

    /**
     * Whether it is to be reported readable as soon as its owner watches it for reading, without waiting for
     * epoll: bytes of its own ({@link #holdsReadable}), or, once, bytes that are probably there already (an
     * accepted client's first). A hint taken is forgotten where it is a guess.
     */
    boolean takeReadHint() {
        return holdsReadable();
    }

    /**
     * Epoll reported that the peer's FIN has arrived (and no error): all it sent before is in the receive queue.
     * Only a stream socket makes use of it.
     */
    void endArrived() {
    }

    /** Epoll reported TCP urgent data. Only a stream socket makes use of it. */
    void urgentArrived() {
    }

    /** Closes the socket as the loop stops. */
    void closeQuietly() {
        closeFd(false);
    }
}
