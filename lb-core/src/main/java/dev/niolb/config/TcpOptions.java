package dev.niolb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How a listener treats its TCP sessions.
 *
 * @param connectTimeout how long one connect to a server may take before another server is tried
 * @param idleTimeout    a session with no bytes either way for this long is closed; {@code 0} never
 * @param retries        further servers tried after a failed connect, invisibly to the client
 * @param noDelay        {@code TCP_NODELAY} on both sockets
 * @param keepAlive      {@code SO_KEEPALIVE} on both sockets
 * @param backlog        the listen backlog
 * @param bufferSize     the size of each pooled relay buffer in bytes
 * @param maxConnectionAge a session is ended (cleanly, when niolb holds none of its bytes) after 90 to 100% of
 *                       this time, so that long-lived clients reconnect and load rebalances; {@code 0} never
 * @param splice         when bytes move by {@code splice(2)} instead of a buffer (epoll transport only)
 * @param deferAccept    the listener hands over a connection only once the client's first bytes have arrived
 *                       ({@code TCP_DEFER_ACCEPT}, epoll transport only): for protocols where the client speaks
 *                       first; a client that waits for the server to speak first waits for the kernel's timeout
 * @param receiveBuffer  {@code SO_RCVBUF} on both sockets of a session, in bytes; {@code 0} leaves the kernel's
 *                       autotuning (up to {@code net.ipv4.tcp_rmem}'s maximum), which a size turns off
 * @param sendBuffer     {@code SO_SNDBUF} on both sockets, likewise ({@code net.ipv4.tcp_wmem})
 */
public record TcpOptions(Duration connectTimeout, Duration idleTimeout, int retries, boolean noDelay,
                         boolean keepAlive, int backlog, int bufferSize, Duration maxConnectionAge, Splice splice,
                         boolean deferAccept, int receiveBuffer, int sendBuffer) {
    public static final TcpOptions DEFAULTS = new TcpOptions(Duration.ofSeconds(5), Duration.ofMinutes(10), 2, true,
        false, 1024, 64 * 1024, Duration.ZERO, Splice.AUTO, false, 0, 0);
    /** The least a socket buffer may be set to: the kernel's own floor is about this (SOCK_MIN_RCVBUF). */
    public static final int MIN_SOCKET_BUFFER = 4 * 1024;
    /** The most: {@code SO_RCVBUF} takes an int the kernel doubles. */
    public static final int MAX_SOCKET_BUFFER = 1 << 30;

    public TcpOptions(final Duration connectTimeout, final Duration idleTimeout, final int retries, final boolean noDelay,
                      final boolean keepAlive, final int backlog, final int bufferSize, final Duration maxConnectionAge,
                      final Splice splice, final boolean deferAccept) {
        this(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize, maxConnectionAge, splice,
            deferAccept, 0, 0);
    }

    public TcpOptions(final Duration connectTimeout, final Duration idleTimeout, final int retries, final boolean noDelay,
                      final boolean keepAlive, final int backlog, final int bufferSize, final Duration maxConnectionAge,
                      final Splice splice) {
        this(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize, maxConnectionAge, splice,
            false);
    }

    public TcpOptions(final Duration connectTimeout, final Duration idleTimeout, final int retries, final boolean noDelay,
                      final boolean keepAlive, final int backlog, final int bufferSize, final Duration maxConnectionAge) {
        this(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize, maxConnectionAge,
            Splice.AUTO);
    }

    public TcpOptions(final Duration connectTimeout, final Duration idleTimeout, final int retries, final boolean noDelay,
                      final boolean keepAlive, final int backlog, final int bufferSize) {
        this(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize, Duration.ZERO);
    }

    public TcpOptions {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(maxConnectionAge, "maxConnectionAge");
        Objects.requireNonNull(splice, "splice");
        if (maxConnectionAge.isNegative()) {
            throw new IllegalArgumentException("max-connection-age must not be negative");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect-timeout must be positive, got " + Durations.format(connectTimeout));
        }
        if (idleTimeout.isNegative()) {
            throw new IllegalArgumentException("idle-timeout must not be negative");
        }
        if (retries < 0 || retries > 32) {
            throw new IllegalArgumentException("retries must be 0..32, got " + retries);
        }
        if (backlog < 1 || backlog > 65535) {
            throw new IllegalArgumentException("backlog must be 1..65535, got " + backlog);
        }
        if (bufferSize < 1024 || bufferSize > 16 * 1024 * 1024) {
            throw new IllegalArgumentException("buffer size must be 1KiB..16MiB, got " + bufferSize);
        }
        checkSocketBuffer("tcp-rcvbuf", receiveBuffer);
        checkSocketBuffer("tcp-sndbuf", sendBuffer);
    }

    private static void checkSocketBuffer(final String key, final int bytes) {
        if (bytes != 0 && (bytes < MIN_SOCKET_BUFFER || bytes > MAX_SOCKET_BUFFER)) {
            throw new IllegalArgumentException(key + " must be 0 (the kernel's autotuning) or 4k..1024m, got "
                + Sizes.format(bytes));
        }
    }

    public TcpOptions withConnectTimeout(final Duration d) {
        return new TcpOptions(d, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize,
            maxConnectionAge, splice, deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withIdleTimeout(final Duration d) {
        return new TcpOptions(connectTimeout, d, retries, noDelay, keepAlive, backlog, bufferSize,
            maxConnectionAge, splice, deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withRetries(final int n) {
        return new TcpOptions(connectTimeout, idleTimeout, n, noDelay, keepAlive, backlog, bufferSize,
            maxConnectionAge, splice, deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withNoDelay(final boolean b) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, b, keepAlive, backlog, bufferSize,
            maxConnectionAge, splice, deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withKeepAlive(final boolean b) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, noDelay, b, backlog, bufferSize,
            maxConnectionAge, splice, deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withBacklog(final int n) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, noDelay, keepAlive, n, bufferSize,
            maxConnectionAge, splice, deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withBufferSize(final int n) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, n,
            maxConnectionAge, splice, deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withMaxConnectionAge(final Duration d) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize, d, splice,
            deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withSplice(final Splice s) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize,
            maxConnectionAge, s, deferAccept, receiveBuffer, sendBuffer);
    }

    public TcpOptions withDeferAccept(final boolean b) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize,
            maxConnectionAge, splice, b, receiveBuffer, sendBuffer);
    }

    public TcpOptions withReceiveBuffer(final int bytes) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize,
            maxConnectionAge, splice, deferAccept, bytes, sendBuffer);
    }

    public TcpOptions withSendBuffer(final int bytes) {
        return new TcpOptions(connectTimeout, idleTimeout, retries, noDelay, keepAlive, backlog, bufferSize,
            maxConnectionAge, splice, deferAccept, receiveBuffer, bytes);
    }
}
