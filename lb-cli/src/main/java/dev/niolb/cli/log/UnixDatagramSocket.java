package dev.niolb.cli.log;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A Unix domain datagram socket ({@code AF_UNIX}, {@code SOCK_DGRAM}) through libc with the FFM API: what
 * {@code /dev/log} is (rsyslog, syslog-ng, journald's {@code /run/systemd/journal/dev-log}), and what the JDK cannot
 * open (its Unix domain sockets are streams only). Linux only: the constants are Linux's.
 *
 * <pre>
 * struct sockaddr_un { sa_family_t sun_family;  // AF_UNIX = 1, 2 bytes
 *                      char sun_path[108]; }    // the path, NUL-terminated
 * </pre>
 *
 * <p>Threading: not threadsafe; one owner at a time (a Logback appender, which serialises its appends, or a test).
 * Each call allocates its native memory in an arena of its own, so calls may come from any thread.
 */
public final class UnixDatagramSocket implements AutoCloseable {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_SNDTIMEO = 21;
    /**
     * How long a send may wait for room at the receiver ({@code net.unix.max_dgram_qlen}, 10 by default): a
     * service manager or syslog daemon that stops reading would otherwise hold the sending thread for ever (a
     * stop that never ended, seen with a NOTIFY_SOCKET nobody read). Past it the datagram is dropped (EAGAIN).
     */
    private static final int SEND_TIMEOUT_MS = 1000;
    private static final int SCM_RIGHTS = 1;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int PATH_MAX = 108;
    /** The longest path a Unix socket address holds ({@code sun_path} less its NUL), in bytes. */
    public static final int MAX_PATH_BYTES = PATH_MAX - 1;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = function("socket",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SENDTO = function("sendto", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
        ValueLayout.JAVA_INT));
    private static final MethodHandle SENDMSG = function("sendmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = function("bind",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECV = function("recv", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle SETSOCKOPT = function("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final int fd;
    private boolean closed;

    private UnixDatagramSocket(final int fd) {
        this.fd = fd;
    }

    private static MethodHandle function(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor,
            Linker.Option.captureCallState("errno"));
    }

    /** An unbound socket that sends to paths. */
    public static UnixDatagramSocket open() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment state = a.allocate(CALL_STATE);
            final int fd = (int) SOCKET.invokeExact(state, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket(AF_UNIX, SOCK_DGRAM): errno " + (int) ERRNO.get(state, 0L));
            }
            final UnixDatagramSocket socket = new UnixDatagramSocket(fd);
            final MemorySegment timeval = a.allocate(16, 8); // struct timeval { long tv_sec; long tv_usec; }
            timeval.set(ValueLayout.JAVA_LONG, 0, SEND_TIMEOUT_MS / 1000);
            timeval.set(ValueLayout.JAVA_LONG, 8, (SEND_TIMEOUT_MS % 1000) * 1000L);
            try {
                check(state, (int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_SNDTIMEO, timeval, 16),
                    "setsockopt");
            } catch (final IOException | RuntimeException | Error e) {
                socket.close();
                throw e;
            }
            return socket;
        } catch (final IOException | RuntimeException | Error e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** A socket bound to {@code path}, to receive on (a test's syslog server). */
    public static UnixDatagramSocket bind(final Path path) throws IOException {
        return bind(path.toString());
    }

    /** A socket bound to {@code address}: a path, or {@code @name} in the abstract namespace. */
    public static UnixDatagramSocket bind(final String address) throws IOException {
        final UnixDatagramSocket socket = open();
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment state = a.allocate(CALL_STATE);
            final MemorySegment at = address(a, address);
            final int rc = (int) BIND.invokeExact(state, socket.fd, at, (int) at.byteSize());
            check(state, rc, "bind " + address);
            return socket;
        } catch (final IOException | RuntimeException | Error e) {
            socket.close();
            throw e;
        } catch (final Throwable t) {
            socket.close();
            throw new IllegalStateException(t);
        }
    }

    /**
     * Sends one datagram to the socket at {@code path}.
     *
     * @throws IOException with the errno, e.g. when nothing listens there (ECONNREFUSED 111, ENOENT 2)
     */
    public void send(final Path path, final byte[] data) throws IOException {
        send(path.toString(), data);
    }

    /**
     * Sends one datagram to {@code address}: a path, or a name in Linux's abstract namespace written with a
     * leading {@code @} (as {@code $NOTIFY_SOCKET} may be: {@code @/org/freedesktop/systemd1/notify}).
     *
     * @throws IOException with the errno, e.g. when nothing listens there (ECONNREFUSED 111, ENOENT 2)
     */
    public void send(final String address, final byte[] data) throws IOException {
        send(address, data, 0);
    }

    /**
     * As {@link #send(Path, byte[])}, never waiting for room at the receiver: a full queue fails at once (EAGAIN)
     * instead of within the send timeout.
     */
    public void sendNow(final Path path, final byte[] data) throws IOException {
        send(path.toString(), data, MSG_DONTWAIT);
    }

    private void send(final String address, final byte[] data, final int flags) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment state = a.allocate(CALL_STATE);
            final MemorySegment buffer = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);
            final MemorySegment to = address(a, address);
            final long rc = (long) SENDTO.invokeExact(state, fd, buffer, (long) data.length, flags, to,
                (int) to.byteSize());
            check(state, rc, "sendto " + address);
        } catch (final IOException | RuntimeException | Error e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Sends one datagram to {@code address} with {@code fds} attached ({@code SCM_RIGHTS}): the receiver gets its
     * own descriptors for the same open files, as systemd's file-descriptor store does with {@code FDSTORE=1}.
     *
     * <pre>
     * struct msghdr { void *msg_name; socklen_t msg_namelen;  // 0, 8 (+4 padding)
     *                 struct iovec *msg_iov; size_t msg_iovlen; // 16, 24
     *                 void *msg_control; size_t msg_controllen; // 32, 40
     *                 int msg_flags; }                          // 48; 56 bytes on LP64 (x86-64, arm64)
     * struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; unsigned char data[]; } // data at 16
     * </pre>
     */
    public void send(final String address, final byte[] data, final int[] fds) throws IOException {
        if (fds.length == 0) {
            send(address, data);
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment state = a.allocate(CALL_STATE);
            final MemorySegment buffer = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);
            final MemorySegment to = address(a, address);
            final MemorySegment iov = a.allocate(16, 8);
            iov.set(ValueLayout.ADDRESS, 0, buffer);
            iov.set(ValueLayout.JAVA_LONG, 8, data.length);
            final long cmsgLen = 16 + 4L * fds.length;
            final MemorySegment control = a.allocate((cmsgLen + 7) & ~7L, 8); // CMSG_SPACE: aligned to size_t
            control.set(ValueLayout.JAVA_LONG, 0, cmsgLen);
            control.set(ValueLayout.JAVA_INT, 8, SOL_SOCKET);
            control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
            MemorySegment.copy(fds, 0, control, ValueLayout.JAVA_INT, 16, fds.length);
            final MemorySegment msg = a.allocate(56, 8);
            msg.set(ValueLayout.ADDRESS, 0, to);
            msg.set(ValueLayout.JAVA_INT, 8, (int) to.byteSize());
            msg.set(ValueLayout.ADDRESS, 16, iov);
            msg.set(ValueLayout.JAVA_LONG, 24, 1);
            msg.set(ValueLayout.ADDRESS, 32, control);
            msg.set(ValueLayout.JAVA_LONG, 40, control.byteSize());
            check(state, (long) SENDMSG.invokeExact(state, fd, msg, 0), "sendmsg " + address);
        } catch (final IOException | RuntimeException | Error e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Receives one datagram, waiting up to {@code timeoutMillis}.
     *
     * @return its bytes, or null when none came in time
     */
    public byte[] receive(final int maxLength, final int timeoutMillis) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment state = a.allocate(CALL_STATE);
            final MemorySegment timeval = a.allocate(16, 8); // struct timeval { long tv_sec; long tv_usec; }
            timeval.set(ValueLayout.JAVA_LONG, 0, timeoutMillis / 1000);
            timeval.set(ValueLayout.JAVA_LONG, 8, (timeoutMillis % 1000) * 1000L);
            check(state, (int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16), "setsockopt");
            final MemorySegment buffer = a.allocate(maxLength);
            final long n = (long) RECV.invokeExact(state, fd, buffer, (long) maxLength, 0);
            if (n < 0) {
                final int errno = (int) ERRNO.get(state, 0L);
                if (errno == 11) { // EAGAIN: the timeout
                    return null;
                }
                throw new IOException("recv: errno " + errno);
            }
            return buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        } catch (final IOException | RuntimeException | Error e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * A {@code struct sockaddr_un} exactly as long as {@code address} needs: a path ends with its NUL; an abstract
     * name ({@code @name}: a NUL, then the name) is as long as its bytes, since every byte up to the length counts.
     */
    public static MemorySegment address(final Arena arena, final String address) {
        final boolean abstractName = address.startsWith("@");
        final byte[] name = (abstractName ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        if (name.length >= PATH_MAX) {
            throw new IllegalArgumentException("a Unix socket address is at most " + (PATH_MAX - 1) + " bytes: "
                + address);
        }
        // zeroed: a path ends with NUL, an abstract name starts with one
        final MemorySegment at = arena.allocate(2 + 1 + name.length, 2);
        at.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
        MemorySegment.copy(name, 0, at, ValueLayout.JAVA_BYTE, abstractName ? 3 : 2, name.length);
        return at;
    }

    private static void check(final MemorySegment state, final long rc, final String what) throws IOException {
        if (rc < 0) {
            final int errno = (int) ERRNO.get(state, 0L);
            throw new IOException(what + ": " + describe(errno));
        }
    }

    /** What {@code errno} means, in words, for a Unix socket's call (also the takeover's control socket). */
    public static String describe(final int errno) {
        return switch (errno) {
            case 2 -> "no such file";
            case 11 -> "the receiver does not read (its queue stayed full)";
            case 13 -> "permission denied";
            case 32 -> "the other side went away (broken pipe)";
            case 91 -> "not a datagram socket";
            case 98 -> "address already in use";
            case 104 -> "the other side went away (connection reset)";
            case 111 -> "connection refused (nothing listens there)";
            default -> "errno " + errno;
        };
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            final int ignored = (int) CLOSE.invokeExact(fd);
        } catch (final Throwable t) {
            // closing is best effort
        }
    }
}
