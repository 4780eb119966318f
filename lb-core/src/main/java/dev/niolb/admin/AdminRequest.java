package dev.niolb.admin;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * One admin request as read off its connection: method, target, headers (names in lower case) and the whole body.
 *
 * @param method   as sent, e.g. {@code GET}
 * @param rawPath  the target's path, still percent-encoded
 * @param rawQuery the target's query, still encoded; null for none
 * @param headers  by lower-case name, each with its values in order
 * @param body     the whole body; empty for none
 * @param at       the address and port the connection came in on (which of a wildcard bind's addresses, for one)
 * @param remote   the client's address, for the log
 *
 * <p>Threadsafe (immutable once read).
 */
record AdminRequest(String method, String rawPath, String rawQuery, Map<String, List<String>> headers, byte[] body,
                    InetSocketAddress at, InetSocketAddress remote) {

    /** The address the connection came in on. */
    InetAddress local() {
        return at.getAddress();
    }

    /** The first value of a header, or null. */
    String header(final String name) {
        final List<String> values = headers.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** HEAD is GET without the body. */
    boolean isHead() {
        return method.equals("HEAD");
    }
}
