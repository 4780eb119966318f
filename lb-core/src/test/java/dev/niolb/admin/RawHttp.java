package dev.niolb.admin;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP as bytes on a socket, for what {@link java.net.http.HttpClient} will not send (a {@code Host} of our
 * choosing) or hides (whether a HEAD answer carries body bytes).
 */
final class RawHttp {
    /** An answer as it came: status, headers (lower-case names), and every byte after the blank line. */
    record Answer(int status, Map<String, String> headers, String body) {
    }

    private RawHttp() {
    }

    /** Sends {@code method path} with {@code Host: host} and header name/value pairs, then reads to the end. */
    static Answer send(final InetSocketAddress admin, final String method, final String path, final String host,
                       final String body, final String... headers) throws IOException {
        final StringBuilder req = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n");
        if (host != null) {
            req.append("Host: ").append(host).append("\r\n");
        }
        for (int i = 0; i < headers.length; i += 2) {
            req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        final byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        if (body != null) {
            req.append("Content-Type: application/x-www-form-urlencoded\r\n")
                .append("Content-Length: ").append(content.length).append("\r\n");
        }
        req.append("Connection: close\r\n\r\n");
        try (Socket s = new Socket()) {
            s.connect(admin, 2_000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().write(content);
            s.getOutputStream().flush();
            return read(s.getInputStream());
        }
    }

    static Answer get(final InetSocketAddress admin, final String path, final String host) throws IOException {
        return send(admin, "GET", path, host, null);
    }

    /** The whole answer of a server that closes after it. */
    static Answer read(final InputStream in) throws IOException {
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        in.transferTo(all);
        final String text = all.toString(StandardCharsets.ISO_8859_1);
        final int end = text.indexOf("\r\n\r\n");
        if (end < 0) {
            throw new IOException("no complete answer: '" + text + "'");
        }
        final String[] lines = text.substring(0, end).split("\r\n");
        final Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            final int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).strip());
        }
        final String body = new String(all.toByteArray(), end + 4, all.size() - end - 4, StandardCharsets.UTF_8);
        return new Answer(Integer.parseInt(lines[0].split(" ")[1]), headers, body);
    }
}
