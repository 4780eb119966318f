package dev.niolb.admin;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * One admin answer: status, content type, body and any further headers ({@code Allow}, {@code WWW-Authenticate}).
 *
 * <p>Threadsafe (immutable).
 */
record AdminResponse(int status, String contentType, byte[] body, Map<String, String> headers) {
    static final String JSON = "application/json; charset=utf-8";

    static AdminResponse of(final int status, final String contentType, final String body) {
        return new AdminResponse(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** A body made already (a {@link SharedPage}'s, shared by several answers: never changed). */
    static AdminResponse of(final int status, final String contentType, final byte[] body) {
        return new AdminResponse(status, contentType, body, Map.of());
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
        return new AdminResponse(status, contentType, body, Map.copyOf(more));
    }
}
