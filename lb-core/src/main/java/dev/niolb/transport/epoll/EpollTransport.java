package dev.niolb.transport.epoll;

import dev.niolb.config.Splice;
import dev.niolb.loop.BufferPool;
import dev.niolb.loop.Poller;
import dev.niolb.transport.BufferRelay;
import dev.niolb.transport.DatagramSocket;
import dev.niolb.transport.ListeningSocket;
import dev.niolb.transport.StreamRelay;
import dev.niolb.transport.StreamSocket;
import dev.niolb.transport.Transport;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Immutable; any thread.
 *
 * Linux's own socket calls through the FFM API: epoll, {@code accept4}, sockets non-blocking from birth, reads and
 * writes straight into the relay buffers. It does what {@code NioTransport} does with fewer syscalls and less
 * bookkeeping per socket, and every end-to-end suite runs on both.
 *
 * <p>It loads only on Linux on x86-64 or arm64 with native access granted; {@link #unavailableReason()} says why
 * not otherwise, and {@code --transport auto} then takes NIO.
 *
 * <p>Threading: immutable, any thread; its sockets belong to the loop they are registered with.
 */
public final class EpollTransport implements Transport {
    private static final String UNAVAILABLE = probe();
    private static final EpollTransport INSTANCE = new EpollTransport();

    /** Sockets handed over at start (systemd's store, a takeover): listeners take theirs before binding anew. */
    private final InheritedSockets inherited = new InheritedSockets();
    private final List<InetSocketAddress> sharedHandedOver = new ArrayList<>();

    private EpollTransport() {
    }

    /** The listening sockets this process was handed, for the start-up to fill and, once started, to clear. */
    public InheritedSockets inherited() {
        return inherited;
    }

    /** The transport, or an {@link UnsupportedOperationException} saying why this machine cannot run it. */
    public static EpollTransport instance() {
        if (UNAVAILABLE != null) {
            throw new UnsupportedOperationException("the epoll transport cannot run here: " + UNAVAILABLE);
        }
        return INSTANCE;
    }

    /** Whether this machine can run it. */
    public static boolean isAvailable() {
        return UNAVAILABLE == null;
    }

    /** Why it cannot run here, or null when it can. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    private static String probe() {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")) {
            return "not Linux (" + System.getProperty("os.name") + ")";
        }
        if (!EpollEvents.supported()) {
            return "no epoll_event layout for " + EpollEvents.arch() + " (x86-64 and arm64 only)";
        }
        try {
            final int fd = Libc.epollCreate1(Libc.EPOLL_CLOEXEC);
            if (fd < 0) {
                return "epoll_create1 failed: " + Libc.strerror(Libc.errno());
            }
            Libc.close(fd);
            loadEveryClass();
            return null;
        } catch (final IllegalCallerException e) {
            return "native access is not enabled (--enable-native-access=ALL-UNNAMED)";
        } catch (final LinkageError | RuntimeException e) {
            return e.toString();
        }
    }

    /**
     * Loads the classes the transport may first need when it is out of descriptors: loading a class from the
     * class path opens its jar or file, and with no descriptor left the first {@code EMFILE} would become a
     * {@code NoClassDefFoundError} in a handler (an accept failure would close the listener instead of backing
     * off). JDK classes come from the mapped runtime image and need no descriptor.
     */
    private static void loadEveryClass() {
        final MethodHandles.Lookup lookup = MethodHandles.lookup();
        for (final Class<?> c : new Class<?>[] {Errors.class, SocketAddresses.class, Scratch.class, EpollFd.class,
            EpollStreamSocket.class, EpollListeningSocket.class, EpollDatagramSocket.class, EpollPoller.class,
            EpollEvents.class, SpliceRelay.class, PipePool.class, Pipe.class,
            DatagramBatch.class, InheritedSockets.class, DatagramOutbox.class, DatagramOutboxes.class, SharedDatagramBatch.class, PacketInfo.class}) {
            try {
                lookup.ensureInitialized(c);
            } catch (final IllegalAccessException e) {
                throw new IllegalStateException(e); // our own package: cannot happen
            }
        }
        Errors.of("accept4", 24); // EMFILE: the error path's own classes and its strerror call, once
    }

    @Override
    public String name() {
        return "epoll";
    }

    @Override
    public boolean countsReceiveDrops() {
        return true;
    }

    @Override
    public Poller open(final Poller.Dispatch dispatch) throws IOException {
        return new EpollPoller(dispatch);
    }

    @Override
    public boolean defersAccept() {
        return true; // TCP_DEFER_ACCEPT
    }

    @Override
    public boolean splices() {
        return true;
    }

    @Override
    public boolean sendsEmptyDatagrams() {
        return true; // send(2) and sendmmsg(2) with no bytes: a datagram of none
    }

    @Override
    public boolean answersFromDestination() {
        return true; // IP_PKTINFO, IPV6_RECVPKTINFO
    }

    @Override
    public List<ListeningSocket> listen(final InetSocketAddress address, final int backlog, final int count)
        throws IOException {
        return listen(address, backlog, count, false);
    }

    @Override
    public List<ListeningSocket> listen(final InetSocketAddress address, final int backlog, final int count,
                                        final boolean deferAccept) throws IOException {
        // every socket handed over for the address, even more than count: a process before with more loops left
        // clients waiting in each one's queue, which closing it would reset
        final int[] adopted = inherited.take(Libc.SOCK_STREAM, address, Integer.MAX_VALUE);
        // the handed-over sockets hold the address: no probe, which would find it in use
        final InetSocketAddress at = adopted.length > 0 ? address : probe(address, Libc.SOCK_STREAM);
        final int family = SocketAddresses.family(at);
        final List<ListeningSocket> sockets = new ArrayList<>(Math.max(count, adopted.length));
        try {
            boolean joinable = true;
            for (final int fd : adopted) {
                final EpollListeningSocket socket = new EpollListeningSocket(fd, InheritedSockets.family(fd));
                sockets.add(socket);
                socket.listen(backlog, deferAccept); // this config's; the queue of waiting clients stays
                // a systemd socket unit without ReusePort=yes (or systemd-socket-activate) hands over a socket no
                // other can join: every loop then watches it, instead of a bind that fails as "address in use"
                joinable &= socket.getInt(Libc.SOL_SOCKET, Libc.SO_REUSEPORT) != 0;
            }
            for (int i = adopted.length; i < count && joinable; i++) {
                final EpollListeningSocket socket =
                    new EpollListeningSocket(EpollFd.open(family, Libc.SOCK_STREAM), family);
                if (adopted.length > 0 && !joined(socket, at)) {
                    break; // the loops share what was handed over (see joined)
                }
                sockets.add(socket);
                if (adopted.length == 0) {
                    shareable(socket, at);
                }
                socket.listen(backlog, deferAccept);
            }
            // fewer sockets than loops (handed over and not joinable): each loop watches a descriptor of its own
            // for one of them, since a descriptor is in one loop's epoll set at a time; the loops race for clients
            final int handedOver = sockets.size();
            for (int i = handedOver; i < count; i++) {
                final EpollListeningSocket of = (EpollListeningSocket) sockets.get(i % handedOver);
                final int copy = Libc.fcntl(of.fd(), Libc.F_DUPFD_CLOEXEC, 0);
                if (copy < 0) {
                    throw Errors.last("fcntl(F_DUPFD_CLOEXEC)");
                }
                final EpollListeningSocket socket = new EpollListeningSocket(copy, of.family());
                sockets.add(socket);
                socket.listen(backlog, deferAccept);
            }
        } catch (final IOException e) {
            sockets.forEach(ListeningSocket::close);
            throw e;
        }
        return sockets;
    }

    @Override
    public List<DatagramSocket> bindDatagram(final InetSocketAddress address, final int count) throws IOException {
        // every socket handed over, as for TCP: one left unread would take its share of the clients' datagrams
        final int[] adopted = inherited.take(Libc.SOCK_DGRAM, address, Integer.MAX_VALUE);
        final InetSocketAddress at = adopted.length > 0 ? address : probe(address, Libc.SOCK_DGRAM);
        final int family = SocketAddresses.family(at);
        int total = Math.max(count, adopted.length);
        final List<DatagramSocket> sockets = new ArrayList<>(total);
        try {
            for (int i = 0; i < total; i++) {
                final boolean adopting = i < adopted.length;
                final EpollDatagramSocket socket = adopting
                    ? new EpollDatagramSocket(adopted[i], InheritedSockets.family(adopted[i]))
                    : new EpollDatagramSocket(EpollFd.open(family, Libc.SOCK_DGRAM), family);
                sockets.add(socket);
                socket.batched(); // a listener's socket: many senders, bursts; recvmmsg
                if (at.getAddress().isAnyLocalAddress()) {
                    socket.withPacketInfo(); // replies leave from the address each client wrote to
                }
                if (!adopting && adopted.length > 0 && !joined(socket, at)) {
                    sockets.removeLast();
                    socket.close(); // its batch too
                    break; // the sockets handed over take every datagram (see joined)
                }
                if (!adopting) {
                    if (adopted.length == 0) {
                        shareable(socket, at);
                    }
                } else if (i == adopted.length - 1 && socket.getInt(Libc.SOL_SOCKET, Libc.SO_REUSEPORT) == 0) {
                    total = adopted.length; // no other socket can join one handed over without SO_REUSEPORT
                }
            }
        } catch (final IOException e) {
            sockets.forEach(DatagramSocket::close);
            throw e;
        }
        return sockets;
    }

    /**
     * Binds a socket of {@code type} to {@code address} without {@code SO_REUSEPORT} and closes it: "address
     * already in use" where another process holds it (a plain {@code SO_REUSEPORT} bind would share the port with
     * another process of the same user and silently take half its traffic). Port 0 becomes the real port, so
     * every socket of the listener binds the same.
     */
    private static InetSocketAddress probe(final InetSocketAddress address, final int type) throws IOException {
        final int family = SocketAddresses.family(address);
        final int fd = EpollFd.open(family, type);
        final EpollFd probe = type == Libc.SOCK_STREAM ? new EpollListeningSocket(fd, family)
            : new EpollDatagramSocket(fd, family);
        try {
            if (type == Libc.SOCK_STREAM) {
                probe.setInt(Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1); // as the JDK's server sockets: TIME_WAIT is no bar
            }
            dualStack(probe);
            probe.bind(address);
            return address.getPort() != 0 ? address
                : new InetSocketAddress(address.getAddress(), probe.boundAddress().getPort());
        } finally {
            probe.closeFd(false);
        }
    }

    /**
     * Binds {@code socket} into the {@code SO_REUSEPORT} group of sockets handed over for {@code at}; false, with the
     * socket closed, when the kernel refuses it. It does when they belong to another user: a group takes only
     * sockets of the user who made its first, and a systemd socket unit's are made by root for a service that runs
     * as its own user ({@code DynamicUser=yes}, as niolb.service). The loops then share the sockets handed over
     * (each watches one; for TCP they race for each connection), as they do a socket handed over without
     * {@code SO_REUSEPORT}; {@link #sharedHandedOver} says which addresses.
     */
    private boolean joined(final EpollFd socket, final InetSocketAddress at) throws IOException {
        try {
            shareable(socket, at);
            return true;
        } catch (final java.net.BindException inUse) {
            socket.closeFd(false);
            synchronized (sharedHandedOver) {
                sharedHandedOver.add(at);
            }
            return false;
        } catch (final IOException | RuntimeException e) {
            socket.closeFd(false);
            throw e;
        }
    }

    /**
     * Addresses whose handed-over sockets the loops share because no socket of this process could join them (see
     * {@link #joined}), for the start to say so; taken once.
     */
    public List<InetSocketAddress> takeSharedHandedOver() {
        synchronized (sharedHandedOver) {
            final List<InetSocketAddress> all = List.copyOf(sharedHandedOver);
            sharedHandedOver.clear();
            return all;
        }
    }

    private static void shareable(final EpollFd socket, final InetSocketAddress at) throws IOException {
        socket.setInt(Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
        socket.setInt(Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1);
        dualStack(socket);
        socket.bind(at);
    }

    /**
     * An IPv6 socket takes IPv4 clients too ({@code IPV6_V6ONLY} off), as the JDK's do and as the docs promise of
     * {@code [::]:PORT}: left alone it follows the host's {@code net.ipv6.bindv6only}, which some hosts set, and
     * {@code [::]} then heard no IPv4 client on epoll while it did on nio (black-box testing, session 28).
     */
    private static void dualStack(final EpollFd socket) throws IOException {
        if (socket.family() == Libc.AF_INET6) {
            socket.setInt(Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 0);
        }
    }

    /** Splices once a direction moves bulk ({@code auto}), from the start ({@code always}), or never. */
    @Override
    public StreamRelay relay(final BufferPool pool, final Splice splice) {
        return splice == Splice.NEVER ? new BufferRelay(pool) : new SpliceRelay(pool, splice == Splice.ALWAYS);
    }

    @Override
    public StreamSocket openStream(final InetSocketAddress remote) throws IOException {
        final int family = SocketAddresses.family(remote);
        return new EpollStreamSocket(EpollFd.open(family, Libc.SOCK_STREAM), family, false);
    }

    @Override
    public DatagramSocket openDatagram(final InetSocketAddress remote) throws IOException {
        final int family = SocketAddresses.family(remote);
        return new EpollDatagramSocket(EpollFd.open(family, Libc.SOCK_DGRAM), family);
    }
}
