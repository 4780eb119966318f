package dev.niolb.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * A protocol and a socket address, parsed from what users write: {@code HOST:PORT}, {@code [v6]:PORT},
 * optionally prefixed with {@code tcp://} or {@code udp://} (TCP when absent).
 */
public record Endpoint(Protocol protocol, InetSocketAddress address) {

    public Endpoint {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(address, "address");
    }

    /**
     * Parses an endpoint, resolving a host name once.
     *
     * @throws IllegalArgumentException with a one-line message naming the bad input
     */
    public static Endpoint parse(final String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty address: expected HOST:PORT");
        }
        String rest = text.strip();
        Protocol protocol = Protocol.TCP;
        final int scheme = rest.indexOf("://");
        if (scheme >= 0) {
            final String name = rest.substring(0, scheme);
            protocol = switch (name.toLowerCase(java.util.Locale.ROOT)) {
                case "tcp" -> Protocol.TCP;
                case "udp" -> Protocol.UDP;
                default -> throw new IllegalArgumentException(
                    "bad address " + Quoted.of(text) + ": unknown scheme " + Quoted.of(name) + " (expected tcp:// or udp://)");
            };
            rest = rest.substring(scheme + 3);
        }
        final String host;
        final String port;
        if (rest.startsWith("[")) {
            final int close = rest.indexOf(']');
            if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": expected [IPv6]:PORT");
            }
            host = rest.substring(1, close);
            port = rest.substring(close + 2);
        } else {
            final int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": expected HOST:PORT");
            }
            host = rest.substring(0, colon);
            port = rest.substring(colon + 1);
            // '::1' is an address whose last colon is no port's ('::1:80' may be '[::1]:80', which the hint below says)
            if (host.indexOf(':') >= 0 && !isIpv6Literal(host) && isIpv6Literal(rest)) {
                throw new IllegalArgumentException("bad address " + Quoted.of(text)
                    + ": no port; write an IPv6 address in brackets with its port, as " + Quoted.of("[" + rest + "]:PORT"));
            }
            if (host.indexOf(':') >= 0) {
                throw new IllegalArgumentException(
                    "bad address " + Quoted.of(text) + ": write IPv6 addresses in brackets, as " + Quoted.of("[" + host + "]:" + port));
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": missing host");
        }
        final int portNumber = parsePort(text, port);
        try {
            return new Endpoint(protocol, new InetSocketAddress(InetAddress.getByName(host), portNumber));
        } catch (final UnknownHostException e) {
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": unknown host " + Quoted.of(host));
        }
    }

    /** Whether {@code text} is a whole IPv6 address ({@code ::1}), which the last colon must not be split from. */
    private static boolean isIpv6Literal(final String text) {
        try {
            return InetAddress.ofLiteral(text) instanceof java.net.Inet6Address;
        } catch (final IllegalArgumentException e) {
            return false;
        }
    }

    private static int parsePort(final String text, final String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> Numbers.isDigit((char) c))) {
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": port must be a number 0..65535");
        }
        final int value = Numbers.parseInt(port);
        if (value > 65535) {
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": port must be 0..65535, got " + value);
        }
        return value;
    }

    /** The canonical text form, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return protocol.scheme() + "://" + hostPort(address);
    }

    /** {@code HOST:PORT} or {@code [v6]:PORT} with the numeric address ({@link IpText}: {@code [::1]:53}). */
    public static String hostPort(final InetSocketAddress address) {
        final InetAddress ip = address.getAddress();
        final String host = ip == null ? address.getHostString() : IpText.of(ip);
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
