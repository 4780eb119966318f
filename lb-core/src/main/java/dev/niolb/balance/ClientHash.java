package dev.niolb.balance;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The hash of a client's IP address that balancers use.
 *
 * <p>Deterministic across processes and hosts (no per-process seed), so that several niolb instances behind
 * ECMP send a client to the same server: {@link InetAddress#hashCode()} is the address itself for IPv4 and a
 * fixed function of the bytes for IPv6; it is then mixed with Murmur3's finaliser. Allocates nothing.
 */
public final class ClientHash {
    private ClientHash() {
    }

    public static int of(final InetSocketAddress client) {
        final InetAddress ip = client.getAddress();
        return mix(ip == null ? client.getHostString().hashCode() : ip.hashCode());
    }

    public static int of(final InetAddress ip) {
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
