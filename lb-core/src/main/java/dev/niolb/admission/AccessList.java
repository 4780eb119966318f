package dev.niolb.admission;

import java.net.InetAddress;
import java.util.Objects;

/**
 * A listener's access list: {@code deny} wins; when {@code allow} is not empty, only what it holds passes.
 *
 * <p>Immutable, so every loop shares one; a check is a few masked compares per entry and allocates nothing for
 * IPv4 (see {@link Cidr#contains}).
 */
public record AccessList(CidrSet allow, CidrSet deny) {
    public static final AccessList OPEN = new AccessList(CidrSet.EMPTY, CidrSet.EMPTY);

    public AccessList {
        Objects.requireNonNull(allow, "allow");
        Objects.requireNonNull(deny, "deny");
    }

    /** Whether {@code client} may connect. */
    public boolean permits(final InetAddress client) {
        if (deny.contains(client)) {
            return false;
        }
        return allow.isEmpty() || allow.contains(client);
    }

    /**
     * Whether {@code peer} is in the deny list: what judges a trusted proxy's own connection, whose PROXY header
     * names no client (LOCAL, UNKNOWN). The allow list is of clients and does not judge it, but a deny naming the
     * proxy is an operator's word about it (black-box testing, session 30).
     */
    public boolean denies(final InetAddress peer) {
        return deny.contains(peer);
    }

    /** Whether this refuses anyone at all. */
    public boolean restricts() {
        return !allow.isEmpty() || !deny.isEmpty();
    }
}
