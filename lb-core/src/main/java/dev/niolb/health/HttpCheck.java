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
        final String line = new String(reply, 0, lineEnd < 0 ? length : lineEnd, StandardCharsets.ISO_8859_1).strip();
        // HTTP/1.1 200 OK
        if (line.length() < 12 || !line.startsWith("HTTP/") || line.charAt(8) != ' ') {
            return CheckResult.failed("not an HTTP status line: '" + Probe.printable(reply, Math.min(length, 40)) + "'");
        }
        final int status;
        try {
            status = Integer.parseInt(line.substring(9, 12));
        } catch (final NumberFormatException e) {
            return CheckResult.failed("not an HTTP status line: '" + Probe.printable(reply, Math.min(length, 40)) + "'");
        }
        return spec.accepts(status) ? CheckResult.passed("HTTP " + status) : CheckResult.failed("HTTP " + status);
    }
}
