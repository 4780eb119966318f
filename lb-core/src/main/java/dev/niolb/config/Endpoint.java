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
        } else if (rest.regionMatches(true, 0, "udp:", 0, 4) || rest.regionMatches(true, 0, "tcp:", 0, 4)) {
            // "udp:HOST:PORT" was taken for an IPv6 address without brackets (black-box testing, session 35)
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": write the scheme with //, as "
                + Quoted.of(rest.substring(0, 3) + "://" + rest.substring(4)));
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
        refuseOddIpv4(text, host);
        final InetAddress ip;
        try {
            ip = InetAddress.getByName(host);
        } catch (final UnknownHostException e) {
            final int percent = host.indexOf('%');
            if (percent > 0 && isIpv6Literal(host.substring(0, percent))) {
                // the address is fine; the scope names no interface of this host (black-box testing, session 32:
                // "unknown host" did not say which part was unknown)
                throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": no network interface "
                    + Quoted.of(host.substring(percent + 1)) + " on this host (the scope after '%': an interface name"
                    + " or index, as in " + Quoted.of("[" + host.substring(0, percent) + "%eth0]:" + portNumber) + ")");
            }
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": unknown host " + Quoted.of(host));
        }
        refuseUnscopedLinkLocal(text, ip, portNumber);
        return new Endpoint(protocol, new InetSocketAddress(ip, portNumber));
    }

    /**
     * An IPv6 link-local address ({@code fe80::/10}) is one on every interface: the kernel refuses to bind or
     * connect to it without the interface's scope ({@code EINVAL}), where the JDK guesses one. So epoll failed with
     * "Invalid argument" naming no address, and nio picked an interface the operator never named (black-box
     * testing, session 28): the address must say which.
     */
    private static void refuseUnscopedLinkLocal(final String text, final InetAddress ip, final int port) {
        if (ip instanceof java.net.Inet6Address v6 && v6.isLinkLocalAddress() && v6.getScopeId() == 0
            && v6.getScopedInterface() == null) {
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": a link-local address needs its "
                + "interface, as " + Quoted.of("[" + IpText.of(ip) + "%eth0]:" + port));
        }
    }

    /**
     * A host of digits and dots is an IPv4 address written as four numbers 0..255 without leading zeros: the JDK
     * reads {@code 0177.0.0.1} as 177.0.0.1 where the C library, curl and ping read 127.0.0.1 (octal), and takes
     * {@code 127.1} and {@code 2130706433} for 127.0.0.1 too; which was meant cannot be told (black-box testing,
     * session 27).
     */
    private static void refuseOddIpv4(final String text, final String host) {
        if (host.isEmpty() || !host.chars().allMatch(c -> c == '.' || Numbers.isDigit((char) c))) {
            return;
        }
        final String[] octets = host.split("\\.", -1);
        boolean ok = octets.length == 4;
        for (int i = 0; ok && i < octets.length; i++) {
            final String o = octets[i];
            ok = !o.isEmpty() && o.length() <= 3 && (o.length() == 1 || o.charAt(0) != '0')
                && Integer.parseInt(o) <= 255;
        }
        if (!ok) {
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": " + Quoted.of(host)
                + " is no IPv4 address: write four numbers 0..255 without leading zeros, as 127.0.0.1");
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

    /** The port of {@code text}, its digits {@code port} (leading zeros taken), 0..65535: one parser for both forms. */
    static int parsePort(final String text, final String port) {
        if (port.isEmpty() || !port.chars().allMatch(c -> Numbers.isDigit((char) c))) {
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": port must be a number 0..65535"
                // a server map's address: 127.0.0.1:80,weight=3 (black-box testing, session 29)
                + (port.indexOf(',') > 0 ? "; options after a comma are the one-line server form's (HOST:PORT,weight=3):"
                    + " in a map give each its own key" : ""));
        }
        final String digits = port.replaceFirst("^0+(?=.)", ""); // 024000 is 24000, not "no number"
        final int value = digits.length() > 5 ? Integer.MAX_VALUE : Numbers.parseInt(digits);
        if (value > 65535) {
            throw new IllegalArgumentException("bad address " + Quoted.of(text) + ": port must be 0..65535, got "
                + digits);
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
