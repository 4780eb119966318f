package dev.niolb.admin;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * Which requests the admin API answers, by the host they name: its guard against DNS rebinding. A page on
 * {@code evil.example} whose name its owner rebinds to 127.0.0.1 makes the browser send the page's requests to
 * the admin port as same-origin ones, but with {@code Host: evil.example}: so every request, reads included, must
 * name
 * <ul>
 * <li>{@code localhost}, or a loopback address ({@code 127.0.0.0/8}, {@code [::1]});</li>
 * <li>the address the connection came in on, as a literal: the bound address, or, for a wildcard bind, the
 *     one of the machine's addresses the client connected to (an address literal cannot be rebound);</li>
 * <li>or a name (or address) the operator allowed ({@code --admin-allowed-host}).</li>
 * </ul>
 * The port is not compared (a container's port may be published under another one). A request without a
 * {@code Host} (HTTP/1.0) is answered: browsers always send one.
 *
 * <p>A state change a browser sends carries {@code Origin}: it must name an allowed host as above, with the
 * port the request's {@code Host} names (http or https), so that a page of another site, or of another web
 * application on this machine, cannot drive the API through the operator's browser. {@code Origin: null} is
 * refused.
 *
 * <p>Threadsafe (immutable).
 */
final class HostGuard {
    private final List<String> allowed;

    /** @param allowed lower-case names and literals, as {@link dev.niolb.config.AdminConfig#parseAllowedHost} gives */
    HostGuard(final List<String> allowed) {
        this.allowed = List.copyOf(allowed);
    }

    /**
     * Null when {@code host} (a Host header value, or null) may be answered; else why not, in one line.
     *
     * @throws Refused (400) when {@code host} is not a host and port at all
     */
    String refusal(final String host, final InetAddress local) {
        if (host == null) {
            return null;
        }
        final HostPort hp = HostPort.parse(host);
        if (hp == null) { // a request that is not well-formed: 400 (RFC 9112 3.2), not the guard's 403
            throw new Refused(400, "bad Host header '" + ClientText.clip(host) + "'");
        }
        if (allows(hp.name(), local)) {
            return null;
        }
        return "host '" + ClientText.clip(hp.name()) + "' is not one the admin API answers to (it answers to "
            + "localhost, loopback addresses, the address it is reached on and the names given with "
            + "--admin-allowed-host)";
    }

    /** Null when a state change with this {@code Origin} (or none) and {@code Host} may go on; else why not. */
    String originRefusal(final String origin, final String host, final InetAddress local) {
        if (origin == null) {
            return null; // not from a browser: curl and scripts send none
        }
        final URI uri;
        try {
            uri = new URI(origin);
        } catch (final URISyntaxException e) {
            return "cross-origin state changes are refused (Origin '" + ClientText.clip(origin) + "')";
        }
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        final int defaultPort = scheme.equals("https") ? 443 : 80;
        final HostPort self = host == null ? null : HostPort.parse(host);
        // its host and port read as a Host header's are, so that the two agree (black-box testing, session 30:
        // Host: 127.1 was answered, Origin: http://127.1 refused, since java.net.URI takes 127.1 for no host)
        final String authority = uri.getRawAuthority();
        final HostPort from = authority == null || authority.indexOf('@') >= 0 ? null : HostPort.parse(authority);
        final boolean same = (scheme.equals("http") || scheme.equals("https")) && from != null && self != null
            && uri.getRawPath() != null && (uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))
            && (from.port() < 0 ? defaultPort : from.port()) == (self.port() < 0 ? defaultPort : self.port())
            && sameHost(from.name(), self.name()) && allows(from.name(), local);
        return same ? null : "cross-origin state changes are refused (Origin '" + ClientText.clip(origin) + "')";
    }

    /**
     * Whether an Origin's host is the one the request's Host names: a browser sends the two alike for a page of the
     * admin API itself. {@code http://127.0.0.2:9900} or {@code http://[::1]:9900} beside {@code Host:
     * 127.0.0.1:9900} is another socket, which another local application may serve (black-box testing, session 32:
     * both were taken, being loopback). A trailing dot and the spelling of an IPv6 literal do not count.
     */
    private static boolean sameHost(final String origin, final String host) {
        final String a = withoutFinalDot(origin);
        final String b = withoutFinalDot(host);
        final InetAddress la = literal(a);
        return la != null ? la.equals(literal(b)) : a.equals(b);
    }

    /** A fully qualified name's final dot taken off: {@code localhost.} is {@code localhost}. */
    private static String withoutFinalDot(final String name) {
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    private boolean allows(final String hostName, final InetAddress local) {
        final String name = withoutFinalDot(hostName);
        if (name.equals("localhost") || allowed.contains(name)) {
            return true;
        }
        final InetAddress literal = literal(name);
        if (literal == null) {
            return false;
        }
        if (literal.isLoopbackAddress() || literal.equals(local)) {
            return true;
        }
        for (final String a : allowed) {
            if (literal.equals(literal(a))) {
                return true;
            }
        }
        return false;
    }

    private static final java.util.regex.Pattern DOTTED_QUAD =
        java.util.regex.Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");

    /** An IPv4 or IPv6 literal, never looked up; null for a name. */
    private static InetAddress literal(final String name) {
        // four dotted numbers: InetAddress also reads 127.1 and 2130706433 (BSD's forms), which niolb's own address
        // parser refuses, and which the guard answered where 0x7f000001 it did not (black-box testing, session 30)
        final boolean v4 = DOTTED_QUAD.matcher(name).matches();
        if (!v4 && name.indexOf(':') < 0) {
            return null;
        }
        try {
            return InetAddress.ofLiteral(name);
        } catch (final IllegalArgumentException e) {
            return null;
        }
    }

    /** A Host header's name (lower case, an IPv6 literal without brackets) and port, -1 for none. */
    record HostPort(String name, int port) {
        /** RFC 3986's reg-name: unreserved, percent-encoded and sub-delimiter characters. */
        private static final java.util.regex.Pattern REG_NAME = java.util.regex.Pattern.compile(
            "[a-z0-9._~!$&'()*+,;=%-]+");

        static HostPort parse(final String host) {
            final String h = host.strip().toLowerCase(Locale.ROOT);
            final String name;
            final String port;
            if (h.startsWith("[")) {
                final int close = h.indexOf(']');
                if (close < 0) {
                    return null;
                }
                name = h.substring(1, close);
                final String rest = h.substring(close + 1);
                if (!rest.isEmpty() && !rest.startsWith(":")) {
                    return null;
                }
                port = rest.isEmpty() ? null : rest.substring(1);
                if (literal(name) == null) {
                    return null;
                }
            } else {
                final int colon = h.indexOf(':');
                if (colon != h.lastIndexOf(':')) {
                    return null; // an IPv6 literal must be in brackets
                }
                name = colon < 0 ? h : h.substring(0, colon);
                port = colon < 0 ? null : h.substring(colon + 1);
            }
            if (name.isEmpty() || !h.startsWith("[") && !REG_NAME.matcher(name).matches()) {
                return null; // a space, '@', '/': no host (RFC 3986 reg-name), a bad request, not a refusal
            }
            if (port == null) {
                return new HostPort(name, -1);
            }
            final String digits = port.replaceFirst("^0+(?=[0-9])", ""); // RFC 3986's port is *DIGIT: zeros lead
            if (digits.isEmpty() || digits.length() > 5 || !digits.chars().allMatch(c -> c >= '0' && c <= '9')
                || Integer.parseInt(digits) > 65_535) {
                return null;
            }
            return new HostPort(name, Integer.parseInt(digits));
        }
    }
}
