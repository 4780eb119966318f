package dev.niolb.bench.harness.target;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Something the load goes through to reach the backend: the backend itself ({@link Role#DIRECT}), niolb
 * ({@link Role#SUBJECT}), or a peer proxy it is compared with ({@link Role#PEER}).
 *
 * @param udp the UDP address, or null when the target has no UDP listener ({@code udpNote} says why)
 * @param pid the proxy's process (its tree is measured for CPU and memory), or -1 when there is none
 */
public record Target(String name, Role role, InetSocketAddress tcp, InetSocketAddress udp, long pid, String udpNote) {

    /** What a target is to the comparison. */
    public enum Role { DIRECT, SUBJECT, PEER }

    public Target {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(tcp, "tcp");
    }

    public boolean hasProcess() {
        return pid > 0;
    }

    /**
     * Parses an external target, {@code NAME=HOST:PORT[,udp=HOST:PORT][,pid=PID]}. The proxy there must
     * already forward to the harness's backend (fix its ports with {@code --backend-port}).
     */
    public static Target parseExternal(final String text) {
        final int eq = text.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("expected NAME=HOST:PORT[,udp=HOST:PORT][,pid=PID], got '" + text + "'");
        }
        final String name = text.substring(0, eq).strip();
        final String[] parts = text.substring(eq + 1).split(",");
        InetSocketAddress udp = null;
        long pid = -1;
        for (int i = 1; i < parts.length; i++) {
            final String part = parts[i].strip();
            if (part.startsWith("udp=")) {
                udp = address(part.substring(4));
            } else if (part.startsWith("pid=")) {
                pid = Long.parseLong(part.substring(4));
            } else {
                throw new IllegalArgumentException("unknown option '" + part + "' in target '" + text + "'");
            }
        }
        return new Target(name, Role.PEER, address(parts[0]), udp, pid, udp == null ? "no udp address given" : null);
    }

    /** Parses {@code HOST:PORT} or {@code [V6]:PORT}, unresolved names resolved once. */
    public static InetSocketAddress address(final String text) {
        final String s = text.strip();
        final int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new InetSocketAddress(host, Integer.parseInt(s.substring(colon + 1)));
    }

    /** {@code HOST:PORT} with the numeric address, brackets around IPv6. */
    public static String format(final InetSocketAddress address) {
        final String host = address.getAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
