package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.config.Endpoint;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The {@code http} check: an HTTP/1.1 request ({@code GET /path} by default, {@code Connection: close}); it
 * passes when the final status line's code is in the expected range (default 200-399). Interim responses (1xx but
 * 101) are skipped, headers and all, as HAProxy does; of the final response only the status line is read, and the
 * connection is then closed. Immutable.
 */
final class HttpCheck implements Probe {
    /** {@code HTTP/1.1 } with {@code #} for a digit. */
    private static final byte[] VERSION = "HTTP/#.# ".getBytes(StandardCharsets.US_ASCII);
    /** Where the three digits of the status end, from the start of the line. */
    private static final int STATUS_END = VERSION.length + 3;
    private static final byte NEWLINE = '\n';

    private final CheckSpec.Http spec;

    HttpCheck(final CheckSpec.Http spec) {
        this.spec = spec;
    }

    @Override
    public byte[] request(final InetSocketAddress target) {
        final String host = spec.host() != null ? spec.host() : hostPort(target);
        return (spec.method() + " " + spec.path() + " HTTP/1.1\r\nHost: " + host
            + "\r\nUser-Agent: niolb-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The server's {@code HOST:PORT} for {@code Host}: the name its address was looked up by (a server by DNS name,
     * or a config's host name), else the address. {@link InetAddress#toString} gives the name without a reverse
     * lookup, which {@code getHostName} would make.
     */
    static String hostPort(final InetSocketAddress target) {
        final String text = target.getAddress().toString();
        final int slash = text.indexOf('/');
        if (slash <= 0) {
            return Endpoint.hostPort(target);
        }
        final String name = text.substring(0, slash);
        return (name.indexOf(':') >= 0 ? "[" + name + "]" : name) + ":" + target.getPort();
    }

    @Override
    public CheckResult judge(final byte[] reply, final int length, final boolean eof) {
        int start = 0;
        int interim = -1;
        while (true) {
            final int lineEnd = indexOf(reply, start, length, NEWLINE);
            if (lineEnd < 0 && !eof && length < MAX_REPLY) {
                return null;
            }
            if (lineEnd < 0 && length == start) {
                return CheckResult.failed(interim < 0 ? "connection closed without a reply"
                    : eof ? "connection closed after an interim HTTP " + interim
                    : "interim HTTP " + interim + " fills the first " + MAX_REPLY + " bytes");
            }
            int end = lineEnd < 0 ? length : lineEnd;
            if (end > start && reply[end - 1] == '\r') {
                end--;
            }
            final int status = status(reply, start, end);
            if (status < 0) {
                return CheckResult.failed("not an HTTP status line: '"
                    + Probe.printable(reply, start, Math.min(length, start + 40)) + "'");
            }
            if (!interim(status)) {
                return spec.accepts(status) ? CheckResult.passed("HTTP " + status) : CheckResult.failed("HTTP " + status);
            }
            // 100 Continue, 103 Early Hints: a final response follows their header block (RFC 9110 section 15.2)
            final int headersEnd = lineEnd < 0 ? -1 : endOfHeaders(reply, lineEnd, length);
            if (headersEnd < 0) {
                if (!eof && length < MAX_REPLY) {
                    return null;
                }
                return CheckResult.failed(eof ? "connection closed in the headers of an interim HTTP " + status
                    : "interim HTTP " + status + " fills the first " + MAX_REPLY + " bytes");
            }
            start = headersEnd;
            interim = status;
        }
    }

    /** A 1xx response other than 101 (Switching Protocols, which is final on this connection). */
    private static boolean interim(final int status) {
        return status >= 100 && status <= 199 && status != 101;
    }

    /** Where the bytes after the empty line that ends a header block begin; -1 before it has come. */
    private static int endOfHeaders(final byte[] reply, final int statusLineEnd, final int length) {
        int lineEnd = statusLineEnd;
        while (true) {
            final int next = indexOf(reply, lineEnd + 1, length, NEWLINE);
            if (next < 0) {
                return -1;
            }
            if (next == lineEnd + 1 || (next == lineEnd + 2 && reply[lineEnd + 1] == '\r')) {
                return next + 1;
            }
            lineEnd = next;
        }
    }

    private static int indexOf(final byte[] bytes, final int from, final int length, final byte b) {
        for (int i = from; i < length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The status code of the line {@code reply[start..end)} when it is a status line as RFC 9112 section 4 writes it,
     * {@code HTTP/D.D SP DDD}, then a space and a reason or nothing; else -1. Strict, byte by byte: a lenient
     * reading let {@code HTTP/1*1 301} or {@code HTTP/1.1 2000} pass (found by fuzzing).
     */
    private static int status(final byte[] reply, final int start, final int end) {
        final int length = end - start;
        if (length < STATUS_END || (length > STATUS_END && reply[start + STATUS_END] != ' ')) {
            return -1;
        }
        for (int i = 0; i < VERSION.length; i++) {
            final byte b = reply[start + i];
            if (VERSION[i] == '#' ? !digit(b) : b != VERSION[i]) {
                return -1;
            }
        }
        int status = 0;
        for (int i = STATUS_END - 3; i < STATUS_END; i++) {
            final byte b = reply[start + i];
            if (!digit(b)) {
                return -1;
            }
            status = status * 10 + b - '0';
        }
        return status;
    }

    private static boolean digit(final byte b) {
        return b >= '0' && b <= '9';
    }
}
