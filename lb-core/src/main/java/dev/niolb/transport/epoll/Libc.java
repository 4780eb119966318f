package dev.niolb.transport.epoll;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Any thread; each thread has its own errno.
 *
 * The libc calls the epoll transport makes, bound once through the FFM API (no JNI, no C compiler in the build),
 * and Linux's constants for them. Each call returns what libc returns; on failure {@link #errno()} says why, read
 * on the same thread before its next call.
 *
 * <p>Why this shape:
 * <ul>
 *   <li>errno is captured by the linker ({@code captureCallState}) into a segment allocated once per thread, not
 *   per call: an allocation per syscall would cost more than many of the syscalls.</li>
 *   <li>Every call that cannot block ({@code recv}/{@code send} on a non-blocking socket, {@code epoll_ctl},
 *   {@code accept4}, socket options) is linked {@code critical}: no thread-state transition, and it may be handed
 *   a heap segment (a heap {@code ByteBuffer} is read into in place, no copy). {@code epoll_wait}, which blocks,
 *   is a normal downcall: a critical one would hold up every safepoint while the loop sleeps.</li>
 *   <li>The constants are the generic Linux ABI's, the same on x86-64 and arm64, the two architectures
 *   {@link EpollEvents} has a layout for.</li>
 * </ul>
 */
final class Libc {
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_ERROR = 4;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_KEEPALIVE = 9;
    static final int SO_LINGER = 13;
    static final int SO_REUSEPORT = 15;
    /** {@code u32[SK_MEMINFO_VARS]}, the same on every architecture (asm-generic). */
    static final int SO_MEMINFO = 55;
    static final int IPPROTO_TCP = 6;
    static final int TCP_NODELAY = 1;
    static final int TCP_QUICKACK = 12;
    static final int TCP_DEFER_ACCEPT = 9;
    static final int TCP_INFO = 11;
    /** {@code tcpi_state} (the first byte of {@code struct tcp_info}) of a connection that is over (reset). */
    static final byte TCP_STATE_CLOSE = 7;
    static final int SHUT_WR = 1;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_MORE = 0x8000;
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int EPOLL_CTL_ADD = 1;
    static final int EPOLL_CTL_DEL = 2;
    static final int EPOLL_CTL_MOD = 3;
    static final int EPOLLIN = 0x1;
    /** TCP urgent data has arrived (tcp_poll's {@code TCP_URG_VALID}). */
    static final int EPOLLPRI = 0x2;
    static final int EPOLLOUT = 0x4;
    static final int EPOLLERR = 0x8;
    static final int EPOLLHUP = 0x10;
    static final int EPOLLRDHUP = 0x2000;
    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;
    static final int F_SETFD = 2;
    /** {@code fcntl}: a new descriptor for the same open file, close-on-exec. */
    static final int F_DUPFD_CLOEXEC = 1030;
    static final int F_GETFL = 3;
    static final int F_SETFL = 4;
    static final int FD_CLOEXEC = 1;
    static final int SO_TYPE = 3;
    static final int SO_ACCEPTCONN = 30;
    static final int SO_DOMAIN = 39;
    static final int F_SETPIPE_SZ = 1031;
    /** {@code ioctl}: bytes written to a TCP socket that its peer has not acknowledged yet (same as TIOCOUTQ). */
    static final long SIOCOUTQ = 0x5411;
    static final int F_GETPIPE_SZ = 1032;
    static final int SPLICE_F_MOVE = 1;
    static final int SPLICE_F_NONBLOCK = 2;
    static final int IPPROTO_IP = 0;
    static final int IP_PKTINFO = 8;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_V6ONLY = 26;
    static final int IPV6_RECVPKTINFO = 49;
    static final int IPV6_PKTINFO = 50;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> STATE =
        ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);

    private static final MethodHandle SOCKET = fast("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT,
        JAVA_INT));
    private static final MethodHandle BIND = fast("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
        JAVA_INT));
    private static final MethodHandle LISTEN = fast("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = fast("accept4", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
        ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = fast("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
        JAVA_INT));
    private static final MethodHandle GETSOCKNAME = fast("getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
        ADDRESS, ADDRESS));
    private static final MethodHandle GETSOCKOPT = fast("getsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
        JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SETSOCKOPT = fast("setsockopt", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
        JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SHUTDOWN = fast("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
        JAVA_INT));
    private static final MethodHandle CLOSE = fast("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = fast("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_LONG));
    /** recv, not read, for sockets: read(2) goes through the file layer first (fdget_pos, vfs_read, sock_read_iter). */
    private static final MethodHandle RECV = fast("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_LONG, JAVA_INT));
    private static final MethodHandle SEND = fast("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_LONG, JAVA_INT));
    private static final MethodHandle RECVFROM = fast("recvfrom", FunctionDescriptor.of(JAVA_LONG, JAVA_INT,
        ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SENDTO = fast("sendto", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle EPOLL_CREATE1 = fast("epoll_create1", FunctionDescriptor.of(JAVA_INT,
        JAVA_INT));
    private static final MethodHandle EPOLL_CTL = fast("epoll_ctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
        JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle EPOLL_WAIT = LINKER.downcallHandle(symbol("epoll_wait"),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), ERRNO_OPTION);
    private static final MethodHandle EVENTFD = fast("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
        JAVA_INT));
    private static final MethodHandle RECVMMSG = fast("recvmmsg", FunctionDescriptor.of(JAVA_INT, JAVA_INT,
        ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SENDMMSG = fast("sendmmsg", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS,
        JAVA_INT, JAVA_INT));
    private static final MethodHandle SENDMSG = fast("sendmsg", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_INT));
    private static final MethodHandle PIPE2 = fast("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SPLICE = fast("splice", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS,
        JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    /** {@code fcntl(fd, cmd, int)}: variadic in C, so the linker is told where the variable part starts. */
    private static final MethodHandle FCNTL_INT = LINKER.downcallHandle(symbol("fcntl"),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), ERRNO_OPTION,
        Linker.Option.firstVariadicArg(2));
    /** {@code ioctl(fd, request, int *)}: variadic in C, as {@code fcntl}. Off the hot path: not critical. */
    private static final MethodHandle IOCTL_INT_OUT = LINKER.downcallHandle(symbol("ioctl"),
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), ERRNO_OPTION,
        Linker.Option.firstVariadicArg(2));
    /** Any thread's wake-up write to an eventfd: no errno (it cannot fail in a way the caller could act on). */
    private static final MethodHandle WRITE_NO_ERRNO = LINKER.downcallHandle(symbol("write"),
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CRITICAL);
    private static final MethodHandle STRERROR = LINKER.downcallHandle(symbol("strerror"),
        FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private Libc() {
    }

    private static MemorySegment symbol(final String name) {
        return LIBC.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    private static MethodHandle fast(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(symbol(name), descriptor, ERRNO_OPTION, CRITICAL);
    }

    /** Why this thread's last failed call failed. */
    static int errno() {
        return (int) ERRNO.get(STATE.get(), 0L);
    }

    /** libc's text for an errno ("Connection refused"). */
    static String strerror(final int errno) {
        try {
            final MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (final Throwable t) {
            return "errno " + errno;
        }
    }

    static int socket(final int domain, final int type, final int protocol) {
        try {
            return (int) SOCKET.invokeExact(STATE.get(), domain, type, protocol);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int bind(final int fd, final MemorySegment address, final int length) {
        try {
            return (int) BIND.invokeExact(STATE.get(), fd, address, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int listen(final int fd, final int backlog) {
        try {
            return (int) LISTEN.invokeExact(STATE.get(), fd, backlog);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int accept4(final int fd, final MemorySegment address, final MemorySegment length, final int flags) {
        try {
            return (int) ACCEPT4.invokeExact(STATE.get(), fd, address, length, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int connect(final int fd, final MemorySegment address, final int length) {
        try {
            return (int) CONNECT.invokeExact(STATE.get(), fd, address, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int getsockname(final int fd, final MemorySegment address, final MemorySegment length) {
        try {
            return (int) GETSOCKNAME.invokeExact(STATE.get(), fd, address, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int getsockopt(final int fd, final int level, final int name, final MemorySegment value,
                          final MemorySegment length) {
        try {
            return (int) GETSOCKOPT.invokeExact(STATE.get(), fd, level, name, value, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int setsockopt(final int fd, final int level, final int name, final MemorySegment value,
                          final int length) {
        try {
            return (int) SETSOCKOPT.invokeExact(STATE.get(), fd, level, name, value, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int shutdown(final int fd, final int how) {
        try {
            return (int) SHUTDOWN.invokeExact(STATE.get(), fd, how);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int close(final int fd) {
        try {
            return (int) CLOSE.invokeExact(STATE.get(), fd);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static long read(final int fd, final MemorySegment buffer, final long count) {
        try {
            return (long) READ.invokeExact(STATE.get(), fd, buffer, count);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static long recv(final int fd, final MemorySegment buffer, final long count, final int flags) {
        try {
            return (long) RECV.invokeExact(STATE.get(), fd, buffer, count, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static long send(final int fd, final MemorySegment buffer, final long count, final int flags) {
        try {
            return (long) SEND.invokeExact(STATE.get(), fd, buffer, count, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static long recvfrom(final int fd, final MemorySegment buffer, final long count, final int flags,
                         final MemorySegment address, final MemorySegment length) {
        try {
            return (long) RECVFROM.invokeExact(STATE.get(), fd, buffer, count, flags, address, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static long sendto(final int fd, final MemorySegment buffer, final long count, final int flags,
                       final MemorySegment address, final int length) {
        try {
            return (long) SENDTO.invokeExact(STATE.get(), fd, buffer, count, flags, address, length);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int epollCreate1(final int flags) {
        try {
            return (int) EPOLL_CREATE1.invokeExact(STATE.get(), flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int epollCtl(final int epfd, final int op, final int fd, final MemorySegment event) {
        try {
            return (int) EPOLL_CTL.invokeExact(STATE.get(), epfd, op, fd, event);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int epollWait(final int epfd, final MemorySegment events, final int maxEvents, final int timeoutMs) {
        try {
            return (int) EPOLL_WAIT.invokeExact(STATE.get(), epfd, events, maxEvents, timeoutMs);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int eventfd(final int initial, final int flags) {
        try {
            return (int) EVENTFD.invokeExact(STATE.get(), initial, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int recvmmsg(final int fd, final MemorySegment messages, final int count, final int flags) {
        try {
            return (int) RECVMMSG.invokeExact(STATE.get(), fd, messages, count, flags, MemorySegment.NULL);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code sendmmsg}: the count of messages sent (in order, stopping at the first that fails), or -1. */
    static int sendmmsg(final int fd, final MemorySegment messages, final int count, final int flags) {
        try {
            return (int) SENDMMSG.invokeExact(STATE.get(), fd, messages, count, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static long sendmsg(final int fd, final MemorySegment message, final int flags) {
        try {
            return (long) SENDMSG.invokeExact(STATE.get(), fd, message, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int pipe2(final MemorySegment fds, final int flags) {
        try {
            return (int) PIPE2.invokeExact(STATE.get(), fds, flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static long splice(final int in, final int out, final long count, final int flags) {
        try {
            return (long) SPLICE.invokeExact(STATE.get(), in, MemorySegment.NULL, out, MemorySegment.NULL, count,
                flags);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    static int fcntl(final int fd, final int command, final int argument) {
        try {
            return (int) FCNTL_INT.invokeExact(STATE.get(), fd, command, argument);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code ioctl(fd, request, &value)} for a request that answers one int into {@code value}. */
    static int ioctl(final int fd, final long request, final MemorySegment value) {
        try {
            return (int) IOCTL_INT_OUT.invokeExact(STATE.get(), fd, request, value);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    /** A write that records no errno: callable from any thread without a capture segment of its own. */
    static long writeNoErrno(final int fd, final MemorySegment buffer, final long count) {
        try {
            return (long) WRITE_NO_ERRNO.invokeExact(fd, buffer, count);
        } catch (final Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(final Throwable t) {
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        throw new IllegalStateException(t); // a downcall declares Throwable but throws nothing checked
    }
}
