package dev.niolb.config;

import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * Where syslog messages are sent: a syslog server's UDP address ({@code udp://HOST:PORT}, or {@code HOST:PORT}),
 * or a local Unix datagram socket ({@code unix:/dev/log}). Exactly one of the two is set.
 *
 * <p>Threadsafe: immutable.
 *
 * @param udp  the syslog server's UDP address; null for a Unix socket
 * @param unix the path of a Unix datagram socket; null for UDP
 */
public record SyslogAddress(InetSocketAddress udp, Path unix) {
    public SyslogAddress {
        if ((udp == null) == (unix == null)) {
            throw new IllegalArgumentException("a syslog address is a UDP address or a Unix socket");
        }
    }

    /**
     * {@code udp://HOST:PORT}, {@code HOST:PORT} or {@code unix:/PATH}.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    public static SyslogAddress parse(final String text) {
        final String s = text == null ? "" : text.strip();
        if (s.startsWith("unix:")) {
            final String path = s.substring("unix:".length());
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("bad syslog address " + Quoted.of(text)
                    + ": expected unix:/ABSOLUTE/PATH (e.g. unix:/dev/log)");
            }
            return new SyslogAddress(null, Path.of(path));
        }
        final Endpoint endpoint;
        try {
            endpoint = Endpoint.parse(s.contains("://") ? s : "udp://" + s);
        } catch (final IllegalArgumentException e) {
            // a host that does not resolve is not a form error: say which (black-box testing, session 27)
            final String message = String.valueOf(e.getMessage());
            final int unknown = message.indexOf("unknown host ");
            throw new IllegalArgumentException("bad syslog address " + Quoted.of(text) + ": "
                + (unknown >= 0 ? message.substring(unknown) : "expected udp://HOST:PORT or unix:/PATH"));
        }
        if (endpoint.protocol() != Protocol.UDP) {
            throw new IllegalArgumentException("bad syslog address " + Quoted.of(text) + ": syslog is sent over UDP "
                + "or a Unix socket, expected udp://HOST:PORT or unix:/PATH");
        }
        return new SyslogAddress(endpoint.address(), null);
    }

    @Override
    public String toString() {
        return udp != null ? "udp://" + Endpoint.hostPort(udp) : "unix:" + unix;
    }
}
