package dev.niolb.config;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;

/**
 * What an active check of a group does, as users write it after {@code --check}.
 *
 * <ul>
 *   <li>{@code tcp}: a connect succeeds within the timeout.</li>
 *   <li>{@code send:TEXT,expect:TEXT}: send bytes, the reply must start with the expected bytes (Redis:
 *       {@code send:PING,expect:+PONG}).</li>
 *   <li>{@code http[:/path][,host=H][,method=M][,status=LO-HI]}: an HTTP/1.1 request; the status must be in the
 *       range (default 200-399).</li>
 *   <li>{@code dns:NAME}: for DNS servers over UDP: a query for NAME's A record; passes when the server answers
 *       (NOERROR or NXDOMAIN), fails on no answer, port unreachable, SERVFAIL or REFUSED.</li>
 *   <li>{@code agent:PORT}: HAProxy agent-check style: the server's agent answers a line such as
 *       {@code up 75%}, {@code drain}, {@code maint}, {@code down}.</li>
 * </ul>
 */
public sealed interface CheckSpec {
    /** The longest DNS name in its text form (RFC 1035: 255 octets on the wire). */
    int MAX_DNS_NAME = 253;

    /** Whether this is the agent check (which reports state and weight) rather than a health check. */
    default boolean isAgent() {
        return this instanceof Agent;
    }

    /** The connect alone. */
    record Tcp() implements CheckSpec {
        @Override
        public String toString() {
            return "tcp";
        }
    }

    /**
     * Bytes out, a reply that starts with the expected bytes back.
     *
     * @param send   the text as written: escapes {@code \r \n \t \\ \xHH}; CRLF is appended unless it ends in a newline
     * @param expect the text as written, same escapes; the reply must start with it
     */
    record SendExpect(String send, String expect) implements CheckSpec {
        public SendExpect {
            Objects.requireNonNull(send, "send");
            Objects.requireNonNull(expect, "expect");
            if (send.isEmpty() || expect.isEmpty()) {
                throw new IllegalArgumentException("check 'send:…,expect:…': both texts must be non-empty");
            }
            unescape(send);
            unescape(expect);
        }

        /** The bytes sent: the unescaped text, with CRLF appended unless it already ends with a newline. */
        public byte[] sendBytes() {
            final String s = unescape(send);
            return (s.endsWith("\n") ? s : s + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        }

        public byte[] expectBytes() {
            return unescape(expect).getBytes(StandardCharsets.ISO_8859_1);
        }

        @Override
        public String toString() {
            return "send:" + send + ",expect:" + expect;
        }
    }

    /**
     * An HTTP/1.1 request with {@code Connection: close}.
     *
     * @param host the Host header; null for the server's {@code HOST:PORT}
     */
    record Http(String method, String path, String host, int statusFrom, int statusTo) implements CheckSpec {
        public Http {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
            if (!method.matches("[A-Z]+")) {
                throw new IllegalArgumentException("check http: method must be upper-case letters, got " + Quoted.of(method));
            }
            if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c >= 127)) {
                throw new IllegalArgumentException("check http: path must start with / and have no spaces, got "
                    + Quoted.of(path));
            }
            if (host != null && (host.isBlank() || host.chars().anyMatch(c -> c <= ' ' || c >= 127))) {
                throw new IllegalArgumentException("check http: bad host " + Quoted.of(host));
            }
            if (statusFrom < 100 || statusTo > 599 || statusFrom > statusTo) {
                throw new IllegalArgumentException("check http: status must be a range within 100-599, got "
                    + statusFrom + "-" + statusTo);
            }
        }

        public Http(final String path) {
            this("GET", path, null, 200, 399);
        }

        public boolean accepts(final int status) {
            return status >= statusFrom && status <= statusTo;
        }

        @Override
        public String toString() {
            return "http:" + path + (method.equals("GET") ? "" : ",method=" + method)
                + (host == null ? "" : ",host=" + host)
                + (statusFrom == 200 && statusTo == 399 ? "" : ",status=" + statusFrom + "-" + statusTo);
        }
    }

    /**
     * A DNS query over UDP for the A record of {@code name} (letters, digits, {@code -} and {@code _}; labels of
     * 1..63 characters; a final dot is allowed).
     */
    record Dns(String name) implements CheckSpec {
        public Dns {
            Objects.requireNonNull(name, "name");
            final String bare = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
            if (bare.isEmpty() || bare.length() > MAX_DNS_NAME
                || !bare.matches("[A-Za-z0-9_-]{1,63}(\\.[A-Za-z0-9_-]{1,63})*")) {
                throw new IllegalArgumentException("bad check " + Quoted.of("dns:" + name) + ": expected dns:NAME, a DNS name such as "
                    + "example.test (labels of letters, digits, - or _, up to 63 characters each)");
            }
        }

        /** The labels of the name, without the root's empty label. */
        public String[] labels() {
            return (name.endsWith(".") ? name.substring(0, name.length() - 1) : name).split("\\.");
        }

        @Override
        public String toString() {
            return "dns:" + name;
        }
    }

    /** The server's agent on {@code port} of the server's host. */
    record Agent(int port) implements CheckSpec {
        public Agent {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("check agent: port must be 1..65535, got " + port);
            }
        }

        @Override
        public String toString() {
            return "agent:" + port;
        }
    }

    /**
     * Parses what users write after {@code --check}.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    static CheckSpec parse(final String text) {
        final String s = text == null ? "" : text.strip();
        final String lower = s.toLowerCase(Locale.ROOT);
        if (lower.equals("tcp")) {
            return new Tcp();
        }
        if (lower.equals("http") || lower.startsWith("http:")) {
            return parseHttp(s);
        }
        if (lower.startsWith("send:")) {
            final int expect = s.indexOf(",expect:");
            if (expect < 0) {
                throw new IllegalArgumentException("bad check " + Quoted.of(text) + ": expected send:TEXT,expect:TEXT");
            }
            return new SendExpect(s.substring(5, expect), s.substring(expect + 8));
        }
        if (lower.startsWith("dns:")) {
            return new Dns(s.substring(4));
        }
        if (lower.startsWith("agent:")) {
            try {
                return new Agent(Numbers.parseInt(s.substring(6)));
            } catch (final NumberFormatException e) {
                throw new IllegalArgumentException("bad check " + Quoted.of(text) + ": expected agent:PORT");
            }
        }
        throw new IllegalArgumentException("bad check " + Quoted.of(text)
            + ": expected tcp, http:/PATH, send:TEXT,expect:TEXT, dns:NAME or agent:PORT");
    }

    private static Http parseHttp(final String text) {
        final String[] split = text.length() > 4 ? text.substring(5).split(",") : new String[0];
        // "http:,," splits into nothing at all (found by fuzzing): no path, no options
        final String[] parts = split.length == 0 ? new String[]{""} : split;
        final String path = parts[0].isEmpty() ? "/" : parts[0];
        String method = "GET";
        String host = null;
        int from = 200;
        int to = 399;
        final java.util.Set<String> given = new java.util.HashSet<>();
        for (int i = 1; i < parts.length; i++) {
            final int eq = parts[i].indexOf('=');
            final String key = eq < 0 ? parts[i] : parts[i].substring(0, eq);
            final String value = eq < 0 ? "" : parts[i].substring(eq + 1);
            if (!given.add(key)) {
                // the last would win unseen: status=200-399,status=500-599 took healthy servers DOWN (session 26)
                throw new IllegalArgumentException("bad check " + Quoted.of(text) + ": " + Quoted.of(key)
                    + " is given twice");
            }
            switch (key) {
                case "method" -> method = value;
                case "host" -> host = value;
                case "status" -> {
                    final String[] range = value.split("-", 2);
                    try {
                        from = Numbers.parseInt(range[0]);
                        to = range.length == 2 ? Numbers.parseInt(range[1]) : from;
                    } catch (final NumberFormatException e) {
                        throw new IllegalArgumentException("bad check " + Quoted.of(text) + ": status must be N or LO-HI");
                    }
                }
                default -> throw new IllegalArgumentException("bad check " + Quoted.of(text) + ": unknown option " + Quoted.of(key)
                    + " (expected method=, host= or status=)");
            }
        }
        return new Http(method, path, host, from, to);
    }

    /** Resolves {@code \r \n \t \\ \xHH}; each resulting char is one byte (ISO-8859-1). */
    static String unescape(final String text) {
        final StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (c > 0xff) {
                throw new IllegalArgumentException("check text " + Quoted.of(text) + ": only ASCII and \\xHH escapes");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= text.length()) {
                throw new IllegalArgumentException("check text " + Quoted.of(text) + ": ends with a lone backslash");
            }
            switch (text.charAt(i)) {
                case 'r' -> out.append('\r');
                case 'n' -> out.append('\n');
                case 't' -> out.append('\t');
                case '\\' -> out.append('\\');
                case 'x' -> {
                    try {
                        out.append((char) Integer.parseInt(text.substring(i + 1, i + 3), 16));
                    } catch (final NumberFormatException | StringIndexOutOfBoundsException e) {
                        throw new IllegalArgumentException("check text " + Quoted.of(text) + ": \\x needs two hex digits");
                    }
                    i += 2;
                }
                default -> throw new IllegalArgumentException("check text " + Quoted.of(text) + ": unknown escape "
                    + Quoted.of("\\" + text.charAt(i)));
            }
        }
        return out.toString();
    }
}
