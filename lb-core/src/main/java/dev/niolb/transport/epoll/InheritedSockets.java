package dev.niolb.transport.epoll;

import dev.niolb.config.Endpoint;
import dev.niolb.config.Protocol;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Listening sockets this process was handed at start instead of binding its own: by systemd from its
 * file-descriptor store ({@code LISTEN_FDS}) after a restart or an upgrade, or by a running niolb on a takeover.
 * Each is identified by what the kernel says it is, not by a name: its type ({@code SO_TYPE}), whether it listens
 * ({@code SO_ACCEPTCONN}) and the address it is bound to ({@code getsockname}). A listener of the new config
 * {@link #take takes} those bound to its address, so clients that connected during the restart wait in the
 * socket's backlog and are accepted by the new process, never refused. What no listener takes is
 * {@link #closeUnclaimed closed}.
 *
 * <p>Threading: filled once before the engine starts; {@link #take} from the threads that start listeners (the
 * main thread, a reload's thread), so its methods are synchronized.
 */
public final class InheritedSockets {
    private record Inherited(int fd, int type, int family, InetSocketAddress bound) {
    }

    private final List<Inherited> sockets = new ArrayList<>();
    private final List<String> refused = new ArrayList<>();

    /**
     * Adopts {@code fds}: each becomes non-blocking and close-on-exec (systemd hands them over without), and is
     * kept when it is a TCP socket that listens or a UDP socket, bound to an IPv4 or IPv6 address. Any other
     * IPv4 or IPv6 socket is closed; any other descriptor is left alone (a {@code LISTEN_FDS} larger than what was
     * passed names the process's own files: the JVM's jars and heap, niolb's syslog and notify sockets). Both are
     * named in {@link #refused}.
     */
    public synchronized void adopt(final int[] fds) {
        for (final int fd : fds) {
            final EpollFd probe = new EpollDatagramSocket(fd, Libc.AF_INET); // asks the kernel; never closes fd
            final int type;
            final int family;
            try {
                type = probe.getInt(Libc.SOL_SOCKET, Libc.SO_TYPE);
                family = probe.getInt(Libc.SOL_SOCKET, Libc.SO_DOMAIN);
            } catch (final IOException notASocket) {
                refused.add("descriptor " + fd + ": not a socket (" + notASocket.getMessage() + "), left open");
                continue;
            }
            if (family != Libc.AF_INET && family != Libc.AF_INET6) {
                // a Unix socket is no listener of ours, but may be the process's own (syslog, systemd's notify)
                refused.add("descriptor " + fd + ": not an IPv4 or IPv6 socket (family " + family + "), left open");
                continue;
            }
            try {
                sockets.add(inspect(fd, probe, type, family));
            } catch (final IOException e) {
                refused.add("descriptor " + fd + ": " + e.getMessage() + ", closed");
                Libc.close(fd);
            }
        }
    }

    private static Inherited inspect(final int fd, final EpollFd probe, final int type, final int family)
        throws IOException {
        final int flags = Libc.fcntl(fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.fcntl(fd, Libc.F_SETFL, flags | Libc.O_NONBLOCK) < 0
            || Libc.fcntl(fd, Libc.F_SETFD, Libc.FD_CLOEXEC) < 0) {
            throw Errors.last("fcntl");
        }
        if (type == Libc.SOCK_STREAM && probe.getInt(Libc.SOL_SOCKET, Libc.SO_ACCEPTCONN) == 0) {
            throw new IOException("a TCP socket that does not listen");
        }
        if (type != Libc.SOCK_STREAM && type != Libc.SOCK_DGRAM) {
            throw new IOException("neither TCP nor UDP (type " + type + ")");
        }
        return new Inherited(fd, type, family, probe.boundAddress());
    }

    /** Up to {@code max} descriptors of {@code type} bound to {@code address}, no longer offered to anyone else. */
    synchronized int[] take(final int type, final InetSocketAddress address, final int max) {
        final List<Integer> taken = new ArrayList<>();
        for (int i = 0; i < sockets.size() && taken.size() < max; ) {
            final Inherited s = sockets.get(i);
            if (s.type() == type && s.bound().equals(address)) {
                taken.add(s.fd());
                sockets.remove(i);
            } else {
                i++;
            }
        }
        return taken.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The family ({@code AF_INET}, {@code AF_INET6}) of a descriptor {@link #take} gave. */
    static int family(final int fd) throws IOException {
        return new EpollDatagramSocket(fd, Libc.AF_INET).getInt(Libc.SOL_SOCKET, Libc.SO_DOMAIN);
    }

    /**
     * Closes, before any listener binds, the sockets none of {@code wanted} could take: bound to an address the
     * config no longer listens on. Left open they would hold their port, and a listener moved from
     * {@code 127.0.0.1:P} to {@code 0.0.0.0:P} could not bind it. Returns what was closed.
     */
    public synchronized List<Endpoint> closeUnwanted(final List<Endpoint> wanted) {
        final List<Endpoint> closed = new ArrayList<>();
        for (int i = 0; i < sockets.size(); ) {
            final Inherited s = sockets.get(i);
            final Endpoint at = new Endpoint(s.type() == Libc.SOCK_STREAM ? Protocol.TCP : Protocol.UDP, s.bound());
            if (wanted.contains(at)) {
                i++;
            } else {
                closed.add(at);
                Libc.close(s.fd());
                sockets.remove(i);
            }
        }
        return closed;
    }

    /** Whether a socket of {@code endpoint}'s protocol bound to its address is still offered. */
    public synchronized boolean offers(final Endpoint endpoint) {
        for (final Inherited s : sockets) {
            if (new Endpoint(s.type() == Libc.SOCK_STREAM ? Protocol.TCP : Protocol.UDP, s.bound()).equals(endpoint)) {
                return true;
            }
        }
        return false;
    }

    /** Closes what no listener took (their addresses are not in the config any more); returns how many. */
    public synchronized List<String> closeUnclaimed() {
        final List<String> closed = new ArrayList<>();
        for (final Inherited s : sockets) {
            closed.add(new Endpoint(s.type() == Libc.SOCK_STREAM ? Protocol.TCP : Protocol.UDP, s.bound()).toString());
            Libc.close(s.fd());
        }
        sockets.clear();
        return closed;
    }

    /** Descriptors that were handed over but could not be used, each with why and whether it was closed. */
    public synchronized List<String> refused() {
        return List.copyOf(refused);
    }

    /** How many sockets are still offered. */
    public synchronized int offered() {
        return sockets.size();
    }
}
