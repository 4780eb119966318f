package dev.niolb.config;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * Stateless; any thread.
 *
 * An IP address as an operator reads and writes it: IPv4 dotted, IPv6 in RFC 5952's canonical form (lower case,
 * no leading zeros, the longest run of two or more zero groups as {@code ::}, an IPv4-mapped address with its IPv4
 * part dotted: {@code ::1}, {@code ::ffff:192.0.2.1}), which is also what {@code inet_ntop} and the peers print.
 * The JDK's {@link InetAddress#getHostAddress()} writes every group ({@code 0:0:0:0:0:0:0:1}).
 */
public final class IpText {
    private IpText() {
    }

    /** The address's canonical text, with its {@code %scope} when it has one. */
    public static String of(final InetAddress address) {
        if (address instanceof Inet4Address) {
            return address.getHostAddress();
        }
        final String jdk = address.getHostAddress(); // its scope, if any, as "%eth0" or "%2"
        final int scope = jdk.indexOf('%');
        final String text = ipv6(address.getAddress());
        if (scope < 0) {
            return text;
        }
        // an address the kernel gave (an accepted client, a bound listener) has its scope as a number; the operator
        // wrote the interface's name, and reads it so in every line (black-box testing, session 32: "%3" beside "%v0")
        final Inet6Address v6 = (Inet6Address) address;
        return v6.getScopedInterface() == null && v6.getScopeId() != 0
            ? text + '%' + InterfaceNames.of(v6.getScopeId(), v6)
            : text + jdk.substring(scope);
    }

    /** Sixteen bytes as RFC 5952 text. */
    public static String ipv6(final byte[] b) {
        if (isV4Mapped(b)) {
            return "::ffff:" + (b[12] & 0xFF) + '.' + (b[13] & 0xFF) + '.' + (b[14] & 0xFF) + '.' + (b[15] & 0xFF);
        }
        final int[] words = new int[8];
        for (int w = 0; w < 8; w++) {
            words[w] = ((b[2 * w] & 0xFF) << 8) | (b[2 * w + 1] & 0xFF);
        }
        int bestStart = -1;
        int bestLength = 1; // a single zero group is not shortened (RFC 5952 4.2.2); the first longest run wins
        for (int w = 0; w < 8; ) {
            if (words[w] != 0) {
                w++;
                continue;
            }
            final int start = w;
            while (w < 8 && words[w] == 0) {
                w++;
            }
            if (w - start > bestLength) {
                bestStart = start;
                bestLength = w - start;
            }
        }
        final StringBuilder s = new StringBuilder(39);
        for (int w = 0; w < 8; w++) {
            if (w == bestStart) {
                s.append("::");
                w += bestLength - 1;
                continue;
            }
            if (!s.isEmpty() && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(words[w]));
        }
        return s.toString();
    }

    private static boolean isV4Mapped(final byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return b[10] == (byte) 0xFF && b[11] == (byte) 0xFF;
    }
}
