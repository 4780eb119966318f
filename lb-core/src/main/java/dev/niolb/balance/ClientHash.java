package dev.niolb.balance;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The hash of a client's IP address that balancers use.
 *
 * <p>Deterministic across processes and hosts (no per-process seed), so that several niolb instances behind
 * ECMP send a client to the same server. IPv4: the address itself ({@link InetAddress#hashCode()}), mixed with
 * Murmur3's finaliser; allocates nothing. IPv6: each of the four 32-bit words is mixed in turn. Not the JDK's
 * {@code Inet6Address.hashCode()}, which adds the four words up: clients of one /64 whose interface identifiers
 * differ in which half holds a bit ({@code ::1:0} and {@code ::0:1}), or whose network and host parts trade a
 * value, collided, and a handful of neighbours could all land on one server. One 16-byte copy per new IPv6
 * client (the JDK exposes the bytes no other way), at accept, never while relaying.
 */
public final class ClientHash {
    private ClientHash() {
    }

    public static int of(final InetSocketAddress client) {
        final InetAddress ip = client.getAddress();
        return ip == null ? mix(client.getHostString().hashCode()) : of(ip);
    }

    public static int of(final InetAddress ip) {
        if (ip instanceof Inet6Address v6) {
            final byte[] b = v6.getAddress();
            int h = 0;
            for (int i = 0; i < 16; i += 4) {
                h = mix(h ^ ((b[i] & 0xff) << 24 | (b[i + 1] & 0xff) << 16 | (b[i + 2] & 0xff) << 8 | (b[i + 3] & 0xff)));
            }
            return h;
        }
        return mix(ip.hashCode());
    }

    /** Murmur3 fmix32. */
    public static int mix(int h) {
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
