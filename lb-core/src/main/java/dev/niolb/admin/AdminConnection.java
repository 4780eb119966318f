package dev.niolb.admin;

import dev.niolb.config.Durations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One admin connection and its one request: read it within its deadlines, answer it, close.
 *
 * <p>The request's reads have one deadline for its headers and then one for its body ({@link DeadlineInput}), so a
 * client cannot hold the connection longer by sending slowly, whatever it sends; one that started a request and
 * did not finish it in time is answered 408 (HAProxy's answer; one that sent nothing is closed without a word).
 * Writing the answer has a deadline too: a close scheduled on the server's timer, which ends a write blocked on a
 * client that does not read (and is a backstop for the reads). One request per connection ({@code Connection:
 * close}): a connection holds its place among the server's few only while it is being served.
 *
 * <p>Threading: {@link #serve} on its own virtual thread; {@link #evictable} and {@link #close} from the
 * acceptor and the timer.
 */
final class AdminConnection {
    private static final Logger LOG = LoggerFactory.getLogger(AdminConnection.class);
    private static final int LINGER_MS = 1_000;
    private static final int LINGER_BYTES = 256 * 1024;

    private final Socket socket;
    private final AdminRoutes routes;
    private final AdminLimits limits;
    private final ScheduledExecutorService timer;
    private static final long EVICTABLE_WRITING_NANOS = TimeUnit.SECONDS.toNanos(1);
    private volatile boolean answering;
    private volatile long writingSinceNanos; // 0 until the answer starts going out
    private ScheduledFuture<?> deadline; // the connection's thread only

    AdminConnection(final Socket socket, final AdminRoutes routes, final AdminLimits limits,
                    final ScheduledExecutorService timer) {
        this.socket = socket;
        this.routes = routes;
        this.limits = limits;
        this.timer = timer;
    }

    /** Reads the request, answers it and closes; never throws. */
    void serve() {
        try {
            // a backstop: the reads answer their own deadlines (408); this close ends anything else that hangs
            expireIn(limits.headerTimeout().plus(limits.bodyTimeout()).plus(limits.responseTimeout()));
            final DeadlineInput timed = new DeadlineInput(socket);
            timed.within(limits.headerTimeout().toNanos());
            final InputStream in = new BufferedInputStream(timed, 8192);
            final OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 8192);
            AdminResponse response;
            boolean head = false;
            boolean whole = false;
            try {
                final RequestReader.Head h = RequestReader.head(in, limits.maxHeaderBytes());
                if (h == null) {
                    return; // closed without a request
                }
                head = h.method().equals("HEAD");
                timed.within(limits.bodyTimeout().toNanos());
                final byte[] body = RequestReader.body(in, h, limits.maxBodyBytes(), out);
                whole = true;
                answering = true;
                disarm(); // routes bound their own waits (a loop's answer, a reload)
                response = routes.answer(new AdminRequest(h.method(), h.rawPath(), h.rawQuery(), h.headers(), body,
                    (InetSocketAddress) socket.getLocalSocketAddress(), (InetSocketAddress) socket.getRemoteSocketAddress()));
            } catch (final Refused refused) {
                answering = true;
                response = refused.response();
            } catch (final SocketTimeoutException late) {
                if (timed.bytes() == 0) {
                    return; // a connection that never sent a byte (a probe, a pre-connect) is closed without a word
                }
                answering = true;
                response = AdminResponse.error(408, "the request did not arrive in time (headers within "
                    + Durations.format(limits.headerTimeout()) + ", then the body within "
                    + Durations.format(limits.bodyTimeout()) + ")");
            }
            expireIn(limits.responseTimeout());
            writingSinceNanos = System.nanoTime();
            write(out, response, head);
            if (!whole) {
                // what the client still sends must not turn our close into a reset that loses the answer
                timed.within(TimeUnit.MILLISECONDS.toNanos(LINGER_MS));
                linger(timed);
            }
        } catch (final IOException e) {
            LOG.debug("admin connection from {}: {}", socket.getRemoteSocketAddress(), e.toString());
        } finally {
            disarm();
            close();
        }
    }

    /**
     * Whether a new connection may take this one's place: it is still sending its request, or its answer has been
     * going out for more than a second (a client that does not read it). 64 requests for /metrics that read
     * nothing held every place for the response timeout, and GET /ready, which a cloud load balancer asks,
     * went unanswered (black-box testing, session 33).
     */
    boolean evictable() {
        final long writing = writingSinceNanos;
        return !answering || writing != 0 && System.nanoTime() - writing > EVICTABLE_WRITING_NANOS;
    }

    void close() {
        try {
            socket.close();
        } catch (final IOException e) {
            LOG.debug("closing an admin connection: {}", e.toString());
        }
    }

    private void disarm() {
        if (deadline != null) {
            deadline.cancel(false);
        }
    }

    private void expireIn(final Duration timeout) {
        disarm();
        try {
            deadline = timer.schedule(this::close, timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (final RejectedExecutionException e) {
            close(); // the server is closing
        }
    }

    private static void write(final OutputStream out, final AdminResponse r, final boolean head) throws IOException {
        final StringBuilder h = new StringBuilder(256)
            .append("HTTP/1.1 ").append(r.status()).append(' ').append(reason(r.status())).append("\r\n")
            .append("Content-Type: ").append(r.contentType()).append("\r\n")
            .append("Content-Length: ").append(r.inflatesOnTheWay() ? r.inflatedLength() : r.body().length).append("\r\n")
            .append("Cache-Control: no-store\r\n")
            .append("X-Content-Type-Options: nosniff\r\n")
            .append("Connection: close\r\n");
        for (final Map.Entry<String, String> e : r.headers().entrySet()) {
            h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        out.write(h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        if (head) {
            out.flush();
            return;
        }
        if (r.inflatesOnTheWay()) {
            // a shared page is kept gzip: inflated as it goes, a few KiB at a time, never whole per reader
            try (InputStream plain = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(r.body()),
                8192)) {
                plain.transferTo(out);
            }
        } else {
            out.write(r.body());
        }
        out.flush();
    }

    /** Reads what the client still sends, for at most a second in all and {@link #LINGER_BYTES}. */
    private void linger(final InputStream in) throws IOException {
        socket.shutdownOutput();
        final byte[] sink = new byte[8192];
        int total = 0;
        try {
            for (int n; total < LINGER_BYTES && (n = in.read(sink)) >= 0; ) {
                total += n;
            }
        } catch (final SocketTimeoutException e) {
            // the client neither closed nor stopped: close now
        }
    }

    private static String reason(final int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 409 -> "Conflict";
            case 411 -> "Length Required";
            case 413 -> "Content Too Large";
            case 422 -> "Unprocessable Content";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            case 505 -> "HTTP Version Not Supported";
            default -> "";
        };
    }
}
