package dev.niolb.transport.epoll;

import dev.niolb.transport.ConnectionReset;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;

/**
 * Any thread.
 *
 * Linux errno values the transport acts on, and the exception each failure becomes: the same types, and the
 * same words where the engine or an operator reads them, as JDK NIO's, so nothing above the transport can tell
 * the two apart ({@code BindException} for an address in use, {@code ConnectException} for a refused connect,
 * {@code PortUnreachableException} for an ICMP port unreachable on a connected UDP socket).
 */
final class Errors {
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOBUFS = 105;
    static final int EPROTO = 71;
    static final int ECONNABORTED = 103;
    static final int ECONNREFUSED = 111;
    static final int ECONNRESET = 104;
    static final int EHOSTUNREACH = 113;
    static final int ENETUNREACH = 101;
    static final int EADDRINUSE = 98;
    static final int EADDRNOTAVAIL = 99;
    static final int EACCES = 13;
    static final int EINPROGRESS = 115;
    static final int ENOENT = 2;
    static final int EBADF = 9;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int EMSGSIZE = 90;

    private Errors() {
    }

    /** The exception for {@code errno} from {@code call} on a stream or listening socket, or while opening one. */
    static IOException of(final String call, final int errno) {
        final String text = Libc.strerror(errno);
        return switch (errno) {
            case EADDRINUSE, EADDRNOTAVAIL, EACCES -> call.equals("bind") ? new BindException(text)
                : new SocketException(text);
            case ECONNREFUSED -> new ConnectException(text);
            case ECONNRESET -> new ConnectionReset(text);
            case EHOSTUNREACH, ENETUNREACH -> new NoRouteToHostException(text);
            default -> new SocketException(text);
        };
    }

    /** As {@link #of}, for a datagram socket: a refusal there is the ICMP port unreachable an earlier send drew. */
    static IOException ofDatagram(final String call, final int errno) {
        return errno == ECONNREFUSED ? new PortUnreachableException(Libc.strerror(errno)) : of(call, errno);
    }

    /** The last failure on this thread, as {@link #of}. */
    static IOException last(final String call) {
        return of(call, Libc.errno());
    }
}
