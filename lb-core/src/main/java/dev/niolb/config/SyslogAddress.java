package dev.niolb.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Where syslog messages are sent: a syslog server's UDP address ({@code udp://HOST:PORT}, or {@code HOST:PORT}).
 *
 * <p>Unix sockets ({@code /dev/log}) are refused with a reason rather than half supported: they are datagram
 * sockets, which the JDK cannot open. Under systemd, standard output already reaches the journal.
 *
 * @param udp the syslog server's UDP address
 */
public record SyslogAddress(InetSocketAddress udp) {
    public SyslogAddress {
        Objects.requireNonNull(udp, "udp");
    }

    /**
     * {@code udp://HOST:PORT} or {@code HOST:PORT}.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    public static SyslogAddress parse(final String text) {
        final String s = text == null ? "" : text.strip();
        if (s.startsWith("unix:") || s.startsWith("/")) {
            throw new IllegalArgumentException("bad syslog address " + Quoted.of(text) + ": Unix sockets are not "
                + "supported (the JDK cannot send datagrams to them); use udp://HOST:PORT, e.g. rsyslog's imudp");
        }
        final Endpoint endpoint;
        try {
            endpoint = Endpoint.parse(s.contains("://") ? s : "udp://" + s);
        } catch (final IllegalArgumentException e) {
            throw new IllegalArgumentException("bad syslog address " + Quoted.of(text) + ": expected udp://HOST:PORT");
        }
        if (endpoint.protocol() != Protocol.UDP) {
            throw new IllegalArgumentException("bad syslog address " + Quoted.of(text) + ": syslog is sent over UDP, "
                + "expected udp://HOST:PORT");
        }
        return new SyslogAddress(endpoint.address());
    }

    @Override
    public String toString() {
        return "udp://" + Endpoint.hostPort(udp);
    }
}
