package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.config.Endpoint;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The {@code http} check: an HTTP/1.1 request ({@code GET /path} by default, {@code Connection: close}); it
 * passes when the status line's code is in the expected range (default 200-399). Only the status line is
 * read; the connection is then closed. Immutable.
 */
final class HttpCheck implements Probe {
    /** {@code HTTP/1.1 } with {@code #} for a digit. */
    private static final byte[] VERSION = "HTTP/#.# ".getBytes(StandardCharsets.US_ASCII);
    /** Where the three digits of the status end. */
    private static final int STATUS_END = VERSION.length + 3;

    private final CheckSpec.Http spec;

    HttpCheck(final CheckSpec.Http spec) {
        this.spec = spec;
    }

    @Override
    public byte[] request(final InetSocketAddress target) {
        final String host = spec.host() != null ? spec.host() : Endpoint.hostPort(target);
        return (spec.method() + " " + spec.path() + " HTTP/1.1\r\nHost: " + host
            + "\r\nUser-Agent: niolb-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public CheckResult judge(final byte[] reply, final int length, final boolean eof) {
        int lineEnd = -1;
        for (int i = 0; i < length; i++) {
            if (reply[i] == '\n') {
                lineEnd = i;
                break;
            }
        }
        if (lineEnd < 0 && !eof && length < MAX_REPLY) {
            return null;
        }
        if (lineEnd < 0 && length == 0) {
            return CheckResult.failed("connection closed without a reply");
        }
        int end = lineEnd < 0 ? length : lineEnd;
        if (end > 0 && reply[end - 1] == '\r') {
            end--;
        }
        final int status = status(reply, end);
        if (status < 0) {
            return CheckResult.failed("not an HTTP status line: '" + Probe.printable(reply, Math.min(length, 40)) + "'");
        }
        return spec.accepts(status) ? CheckResult.passed("HTTP " + status) : CheckResult.failed("HTTP " + status);
    }

    /**
     * The status code of the line {@code reply[0..end)} when it is a status line as RFC 9112 section 4 writes it,
     * {@code HTTP/D.D SP DDD}, then a space and a reason or nothing; else -1. Strict, byte by byte: a lenient
     * reading let {@code HTTP/1*1 301} or {@code HTTP/1.1 2000} pass (found by fuzzing).
     */
    private static int status(final byte[] reply, final int end) {
        if (end < STATUS_END || (end > STATUS_END && reply[STATUS_END] != ' ')) {
            return -1;
        }
        for (int i = 0; i < VERSION.length; i++) {
            if (VERSION[i] == '#' ? !digit(reply[i]) : reply[i] != VERSION[i]) {
                return -1;
            }
        }
        int status = 0;
        for (int i = STATUS_END - 3; i < STATUS_END; i++) {
            if (!digit(reply[i])) {
                return -1;
            }
            status = status * 10 + reply[i] - '0';
        }
        return status;
    }

    private static boolean digit(final byte b) {
        return b >= '0' && b <= '9';
    }
}
