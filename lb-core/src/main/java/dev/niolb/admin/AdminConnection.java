package dev.niolb.admin;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
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
 * <p>Deadlines are a close scheduled on the server's timer, moved at each phase (headers, body, answer): closing
 * the socket ends a read or write blocked in any phase, so a client cannot hold the connection longer by sending
 * slowly, whatever it sends. One request per connection ({@code Connection: close}): a connection holds its
 * place among the server's few only while it is being served.
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
    private volatile boolean answering;
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
            expireIn(limits.headerTimeout());
            final InputStream in = new BufferedInputStream(socket.getInputStream(), 8192);
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
                expireIn(limits.bodyTimeout());
                final byte[] body = RequestReader.body(in, h, limits.maxBodyBytes(), out);
                whole = true;
                answering = true;
                disarm(); // routes bound their own waits (a loop's answer, a reload)
                response = routes.answer(new AdminRequest(h.method(), h.rawPath(), h.rawQuery(), h.headers(), body,
                    socket.getLocalAddress()));
            } catch (final Refused refused) {
                answering = true;
                response = refused.response();
            }
            expireIn(limits.responseTimeout());
            write(out, response, head);
            if (!whole) {
                linger(in); // what the client still sends must not turn our close into a reset that loses the answer
            }
        } catch (final IOException e) {
            LOG.debug("admin connection from {}: {}", socket.getRemoteSocketAddress(), e.toString());
        } finally {
            disarm();
            close();
        }
    }

    /** Whether a new connection may take this one's place: it is still sending its request. */
    boolean evictable() {
        return !answering;
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
            .append("Content-Length: ").append(r.body().length).append("\r\n")
            .append("Cache-Control: no-store\r\n")
            .append("X-Content-Type-Options: nosniff\r\n")
            .append("Connection: close\r\n");
        for (final Map.Entry<String, String> e : r.headers().entrySet()) {
            h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
        }
        out.write(h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            out.write(r.body());
        }
        out.flush();
    }

    private void linger(final InputStream in) throws IOException {
        socket.shutdownOutput();
        socket.setSoTimeout(LINGER_MS);
        final byte[] sink = new byte[8192];
        int total = 0;
        try {
            for (int n; total < LINGER_BYTES && (n = in.read(sink)) >= 0; ) {
                total += n;
            }
        } catch (final java.net.SocketTimeoutException e) {
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
