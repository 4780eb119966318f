package dev.niolb.cli.takeover;

import dev.niolb.cli.log.UnixDatagramSocket;

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
import java.util.Arrays;

/**
 * A Unix domain stream socket through libc with the FFM API, for what the JDK's Unix domain channels cannot do:
 * send and receive descriptors ({@code SCM_RIGHTS} in {@code sendmsg}/{@code recvmsg}). Blocking calls; Linux's
 * constants and the LP64 layouts of {@code struct msghdr} (56 bytes: name 0, namelen 8, iov 16, iovlen 24,
 * control 32, controllen 40, flags 48) and {@code struct cmsghdr} (len 0, level 8, type 12, data 16).
 *
 * <p>Threading: one owner at a time; {@link #close} may come from another thread to end a blocked
 * {@link #accept} (it shuts the socket down first, which wakes it).
 */
final class ControlSocket implements AutoCloseable {
    /** Bytes and the descriptors that came with them. */
    record Received(String text, int[] fds) {
    }

    /** The process at the other end of a connection, as the kernel saw it connect ({@code SO_PEERCRED}). */
    record Peer(int pid, int uid) {
    }

    private static final int AF_UNIX = 1;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_SOCKET = 1;
    private static final int SCM_RIGHTS = 1;
    private static final int SO_RCVTIMEO = 20;
    private static final int SO_PEERCRED = 17;
    private static final int SHUT_RDWR = 2;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_CMSG_CLOEXEC = 0x40000000;
    static final int MAX_FDS = 253; // SCM_MAX_FD

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = function("socket",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = function("bind",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CONNECT = function("connect",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle LISTEN = function("listen",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle ACCEPT4 = function("accept4", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SENDMSG = function("sendmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle RECVMSG = function("recvmsg", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle SETSOCKOPT = function("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle GETSOCKOPT = function("getsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle GETEUID = LINKER.downcallHandle(
        LINKER.defaultLookup().find("geteuid").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT));
    private static final MethodHandle SHUTDOWN = function("shutdown",
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LINKER.defaultLookup().find("close").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final int fd;
    private boolean closed;

    private ControlSocket(final int fd) {
        this.fd = fd;
    }

    private static MethodHandle function(final String name, final FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor,
            Linker.Option.captureCallState("errno"));
    }

    private static ControlSocket open() throws IOException {
        return call(a -> {
            final MemorySegment state = a.allocate(CALL_STATE);
            final int s = (int) SOCKET.invokeExact(state, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            return new ControlSocket((int) check(state, s, "socket(AF_UNIX, SOCK_STREAM)"));
        });
    }

    /** A socket listening at {@code path} (which must not exist). */
    static ControlSocket listen(final Path path) throws IOException {
        final ControlSocket socket = open();
        try {
            call(a -> {
                final MemorySegment state = a.allocate(CALL_STATE);
                final MemorySegment at = address(a, path);
                check(state, (int) BIND.invokeExact(state, socket.fd, at, (int) at.byteSize()), "bind " + path);
                check(state, (int) LISTEN.invokeExact(state, socket.fd, 4), "listen " + path);
                return null;
            });
            return socket;
        } catch (final IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** A connection to the socket listening at {@code path}. */
    static ControlSocket connect(final Path path) throws IOException {
        final ControlSocket socket = open();
        try {
            call(a -> {
                final MemorySegment state = a.allocate(CALL_STATE);
                final MemorySegment at = address(a, path);
                return check(state, (int) CONNECT.invokeExact(state, socket.fd, at, (int) at.byteSize()),
                    "connect " + path);
            });
            return socket;
        } catch (final IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
    }

    /** The next connection; blocks. */
    ControlSocket accept() throws IOException {
        return call(a -> {
            final MemorySegment state = a.allocate(CALL_STATE);
            final int s = (int) ACCEPT4.invokeExact(state, fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC);
            return new ControlSocket((int) check(state, s, "accept"));
        });
    }

    /**
     * Whether the connected process still runs (a silent one may be stopped, not gone); false when that cannot be
     * told.
     */
    boolean peerRuns() {
        try {
            final int pid = peer().pid();
            return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (final IOException | RuntimeException unknown) {
            return false;
        }
    }

    /** The connected process: {@code struct ucred} is pid, uid, gid, four bytes each. */
    Peer peer() throws IOException {
        return call(a -> {
            final MemorySegment state = a.allocate(CALL_STATE);
            final MemorySegment ucred = a.allocate(12, 4);
            final MemorySegment length = a.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, 12);
            check(state, (int) GETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_PEERCRED, ucred, length),
                "getsockopt(SO_PEERCRED)");
            return new Peer(ucred.get(ValueLayout.JAVA_INT, 0), ucred.get(ValueLayout.JAVA_INT, 4));
        });
    }

    /** This process's effective user id. */
    static int effectiveUid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (final Throwable t) {
            throw new IllegalStateException(t); // geteuid cannot fail
        }
    }

    /** Makes {@link #receive} give up after {@code millis} without bytes (then it reports end of stream). */
    void timeout(final int millis) throws IOException {
        call(a -> {
            final MemorySegment state = a.allocate(CALL_STATE);
            final MemorySegment timeval = a.allocate(16, 8);
            timeval.set(ValueLayout.JAVA_LONG, 0, millis / 1000);
            timeval.set(ValueLayout.JAVA_LONG, 8, (millis % 1000) * 1000L);
            return check(state, (int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16),
                "setsockopt");
        });
    }

    /** Sends {@code text} (one message: it is short) with {@code fds} attached. */
    void send(final String text, final int[] fds) throws IOException {
        if (fds.length > MAX_FDS) {
            throw new IOException("at most " + MAX_FDS + " descriptors in one message, not " + fds.length);
        }
        final byte[] data = text.getBytes(StandardCharsets.UTF_8);
        call(a -> {
            final MemorySegment state = a.allocate(CALL_STATE);
            final MemorySegment buffer = a.allocate(data.length);
            MemorySegment.copy(data, 0, buffer, ValueLayout.JAVA_BYTE, 0, data.length);
            final MemorySegment msg = message(a, buffer, fds.length);
            if (fds.length > 0) {
                final MemorySegment control = msg.get(ValueLayout.ADDRESS, 32).reinterpret(16 + 4L * fds.length);
                control.set(ValueLayout.JAVA_LONG, 0, 16 + 4L * fds.length);
                control.set(ValueLayout.JAVA_INT, 8, SOL_SOCKET);
                control.set(ValueLayout.JAVA_INT, 12, SCM_RIGHTS);
                MemorySegment.copy(fds, 0, control, ValueLayout.JAVA_INT, 16, fds.length);
            }
            final long sent = (long) SENDMSG.invokeExact(state, fd, msg, MSG_NOSIGNAL);
            check(state, sent, "sendmsg");
            if (sent != data.length) {
                throw new IOException("sendmsg: " + sent + " of " + data.length + " bytes");
            }
            return null;
        });
    }

    /**
     * One read: up to {@code maxBytes} and the descriptors that came with them (close-on-exec); an empty text
     * with no descriptors at end of stream or after the {@link #timeout}.
     */
    Received receive(final int maxBytes) throws IOException {
        return call(a -> {
            final MemorySegment state = a.allocate(CALL_STATE);
            final MemorySegment buffer = a.allocate(maxBytes);
            final MemorySegment msg = message(a, buffer, MAX_FDS);
            final long n = (long) RECVMSG.invokeExact(state, fd, msg, MSG_CMSG_CLOEXEC);
            if (n < 0) {
                final int errno = (int) ERRNO.get(state, 0L);
                if (errno == 11) { // EAGAIN: the timeout
                    return new Received("", new int[0]);
                }
                throw new IOException("recvmsg: " + describe(errno));
            }
            final long controlLength = msg.get(ValueLayout.JAVA_LONG, 40);
            final MemorySegment control = msg.get(ValueLayout.ADDRESS, 32).reinterpret(controlLength);
            int[] fds = new int[0];
            for (long at = 0; at + 16 <= controlLength; ) {
                final long length = control.get(ValueLayout.JAVA_LONG, at);
                if (length < 16) {
                    break;
                }
                if (control.get(ValueLayout.JAVA_INT, at + 8) == SOL_SOCKET
                    && control.get(ValueLayout.JAVA_INT, at + 12) == SCM_RIGHTS) {
                    final int count = (int) ((length - 16) / 4);
                    final int[] more = new int[count];
                    MemorySegment.copy(control, ValueLayout.JAVA_INT, at + 16, more, 0, count);
                    fds = concat(fds, more);
                }
                at += (length + 7) & ~7L;
            }
            return new Received(new String(buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE),
                StandardCharsets.UTF_8), fds);
        });
    }

    static int[] concat(final int[] a, final int[] b) {
        final int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    /** A {@code struct msghdr} with one iovec over {@code buffer} and room for {@code fds} descriptors. */
    private static MemorySegment message(final Arena a, final MemorySegment buffer, final int fds) {
        final MemorySegment iov = a.allocate(16, 8);
        iov.set(ValueLayout.ADDRESS, 0, buffer);
        iov.set(ValueLayout.JAVA_LONG, 8, buffer.byteSize());
        final MemorySegment msg = a.allocate(56, 8);
        msg.set(ValueLayout.ADDRESS, 16, iov);
        msg.set(ValueLayout.JAVA_LONG, 24, 1);
        if (fds > 0) {
            final long space = (16 + 4L * fds + 7) & ~7L; // CMSG_SPACE
            msg.set(ValueLayout.ADDRESS, 32, a.allocate(space, 8));
            msg.set(ValueLayout.JAVA_LONG, 40, space);
        }
        return msg;
    }

    private static MemorySegment address(final Arena arena, final Path path) {
        return UnixDatagramSocket.address(arena, path.toString()); // the same struct sockaddr_un
    }

    private static long check(final MemorySegment state, final long rc, final String what) throws IOException {
        if (rc < 0) {
            final int errno = (int) ERRNO.get(state, 0L);
            throw new IOException(what + ": " + describe(errno));
        }
        return rc;
    }

    private static String describe(final int errno) {
        return UnixDatagramSocket.describe(errno); // the same words for the same Unix socket calls
    }

    private interface Call<T> {
        T in(Arena arena) throws Throwable;
    }

    private static <T> T call(final Call<T> call) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            return call.in(a);
        } catch (final IOException | RuntimeException | Error e) {
            throw e;
        } catch (final Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes a descriptor received here that nobody will use. */
    static void close(final int fd) {
        try {
            final int ignored = (int) CLOSE.invokeExact(fd);
        } catch (final Throwable ignored) {
            // Linux releases it whatever close reports
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try (Arena a = Arena.ofConfined()) {
            final MemorySegment state = a.allocate(CALL_STATE);
            final int ignored = (int) SHUTDOWN.invokeExact(state, fd, SHUT_RDWR); // wakes a blocked accept
            final int alsoIgnored = (int) CLOSE.invokeExact(fd); // Linux releases it whatever close reports
        } catch (final Throwable ignored) {
            // nothing more to do: the descriptor is gone either way
        }
    }
}
