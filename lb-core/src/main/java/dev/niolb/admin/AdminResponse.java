package dev.niolb.admin;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One admin answer: status, content type, body and any further headers ({@code Allow}, {@code WWW-Authenticate}).
 * A body may be gzip of {@code inflatedLength} bytes (a {@link SharedPage}'s, shared by several answers, never
 * changed): sent as it is with {@code Content-Encoding: gzip}, else inflated as it is sent.
 *
 * <p>Threadsafe (immutable).
 *
 * @param inflatedLength the length of the body inflated when it is gzip, else -1
 */
record AdminResponse(int status, String contentType, byte[] body, Map<String, String> headers, int inflatedLength) {
    static final String JSON = "application/json; charset=utf-8";

    static AdminResponse of(final int status, final String contentType, final String body) {
        return new AdminResponse(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of(), -1);
    }

    /**
     * A shared page, gzip as it is kept: sent so to a client that takes gzip ({@code Accept-Encoding}), else
     * inflated on the way.
     */
    static AdminResponse page(final int status, final String contentType, final SharedPage.Page page,
                              final String acceptEncoding) {
        final AdminResponse r = new AdminResponse(status, contentType, page.gzip(), Map.of("Vary", "Accept-Encoding"),
            page.plainLength());
        return takesGzip(acceptEncoding) ? r.withHeader("Content-Encoding", "gzip") : r;
    }

    static AdminResponse json(final int status, final String body) {
        return of(status, JSON, body);
    }

    /** {@code {"error": message}}, the message cut at {@link ClientText#MAX_MESSAGE_CHARS} whatever built it. */
    static AdminResponse error(final int status, final String message) {
        return json(status, StatsJson.error(ClientText.clip(message, ClientText.MAX_MESSAGE_CHARS)));
    }

    AdminResponse withHeader(final String name, final String value) {
        final java.util.LinkedHashMap<String, String> more = new java.util.LinkedHashMap<>(headers);
        more.put(name, value);
        return new AdminResponse(status, contentType, body, Map.copyOf(more), inflatedLength);
    }

    /** Whether the body is to be inflated as it is sent: gzip, to a client that does not take it. */
    boolean inflatesOnTheWay() {
        return inflatedLength >= 0 && !headers.containsKey("Content-Encoding");
    }

    /** Whether an {@code Accept-Encoding} value takes gzip ({@code gzip}, {@code gzip;q=0.5}; not {@code q=0}). */
    static boolean takesGzip(final String acceptEncoding) {
        if (acceptEncoding == null) {
            return false;
        }
        for (final String coding : acceptEncoding.split(",")) {
            final String[] parts = coding.split(";");
            if (!parts[0].strip().equalsIgnoreCase("gzip")) {
                continue;
            }
            for (int i = 1; i < parts.length; i++) {
                final String p = parts[i].strip().toLowerCase(java.util.Locale.ROOT);
                if (p.startsWith("q=") && p.substring(2).strip().matches("0(\\.0{0,3})?")) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }
}
