package dev.niolb.config;

import dev.niolb.admission.AccessList;
import dev.niolb.admission.Admission;
import dev.niolb.admission.CidrSet;

import java.util.Objects;

/**
 * Who a listener admits and how many: its access list, its connection cap and its per-source limits.
 *
 * <p>Access: a client in {@code deny} is refused; otherwise, when {@code allow} is not empty, only a client in
 * it is admitted. Deny wins over allow, so {@code allow 10.0.0.0/8, deny 10.6.6.0/24} admits 10/8 but that /24.
 *
 * @param allow           only these sources are admitted, when not empty
 * @param deny            these sources are refused, whatever {@code allow} says
 * <p>The per-source limits count TCP connections and UDP flows alike (a UDP listener's flow is its session):
 * a source at its {@code sourceMaxconn} or over its {@code sourceRate} has a new connection reset at accept, or
 * the datagram that would open a new flow dropped; what it already has open goes on.
 *
 * @param maxconn         TCP connections open at once over the listener; at it the listener stops accepting
 *                        (new clients wait in the kernel's backlog); 0 for no cap (UDP: {@code udp-max-flows})
 * @param sourceMaxconn   TCP connections or UDP flows open at once from one source; more are refused; 0 for no cap
 * @param sourceRate      new TCP connections or UDP flows per source (a token bucket); more are refused
 * @param sourceTableSize sources remembered for the per-source limits; the least recently seen is forgotten
 *                        when a new one comes and the table is full
 */
public record ListenerLimits(CidrSet allow, CidrSet deny, int maxconn, int sourceMaxconn, SourceRate sourceRate,
                             int sourceTableSize) {
    public static final int MAX_CONN = 10_000_000;
    public static final int DEFAULT_SOURCE_TABLE_SIZE = 65_536;
    public static final int MAX_SOURCE_TABLE_SIZE = 16 * 1024 * 1024;
    public static final ListenerLimits NONE =
        new ListenerLimits(CidrSet.EMPTY, CidrSet.EMPTY, 0, 0, SourceRate.NONE, DEFAULT_SOURCE_TABLE_SIZE);

    public ListenerLimits {
        Objects.requireNonNull(allow, "allow");
        Objects.requireNonNull(deny, "deny");
        Objects.requireNonNull(sourceRate, "sourceRate");
        if (maxconn < 0 || maxconn > MAX_CONN) {
            throw new IllegalArgumentException("listener-maxconn must be 0.." + MAX_CONN + ", got " + maxconn);
        }
        if (sourceMaxconn < 0 || sourceMaxconn > MAX_CONN) {
            throw new IllegalArgumentException("source-maxconn must be 0.." + MAX_CONN + ", got " + sourceMaxconn);
        }
        if (sourceTableSize < 1 || sourceTableSize > MAX_SOURCE_TABLE_SIZE) {
            throw new IllegalArgumentException("source-table-size must be 1.." + MAX_SOURCE_TABLE_SIZE + ", got "
                + sourceTableSize);
        }
    }

    /**
     * The admission these limits describe: a new one each call, with its per-source table allocated here, once,
     * if a per-source limit is set; {@link Admission#OPEN} when nothing is limited.
     */
    public Admission admission() {
        return admission(null);
    }

    /** {@link #admission()} over the per-source counts of {@code previous} where it can (see {@link Admission}). */
    public Admission admission(final Admission previous) {
        if (!limitsSources() && allow.isEmpty() && deny.isEmpty()
            && (previous == null || previous.sources() == null)) {
            return Admission.OPEN;
        }
        return new Admission(new AccessList(allow, deny), sourceMaxconn, sourceRate.intervalNanos(), sourceRate.burst(),
            sourceTableSize, previous);
    }

    /**
     * Whether {@code other} admits exactly as these limits do (the listener's maxconn aside): then a reload keeps
     * the running {@link Admission}, so it neither forgets the per-source counts nor loses the open ones.
     */
    public boolean sameAdmission(final ListenerLimits other) {
        return allow.equals(other.allow) && deny.equals(other.deny) && sourceMaxconn == other.sourceMaxconn
            && sourceRate.equals(other.sourceRate) && sourceTableSize == other.sourceTableSize;
    }

    /** Whether per-source state must be kept (a source table). */
    public boolean limitsSources() {
        return sourceMaxconn > 0 || sourceRate.limits();
    }

    public ListenerLimits withAccess(final CidrSet allowed, final CidrSet denied) {
        return new ListenerLimits(allowed, denied, maxconn, sourceMaxconn, sourceRate, sourceTableSize);
    }

    public ListenerLimits withMaxconn(final int n) {
        return new ListenerLimits(allow, deny, n, sourceMaxconn, sourceRate, sourceTableSize);
    }

    public ListenerLimits withSourceMaxconn(final int n) {
        return new ListenerLimits(allow, deny, maxconn, n, sourceRate, sourceTableSize);
    }

    public ListenerLimits withSourceRate(final SourceRate rate) {
        return new ListenerLimits(allow, deny, maxconn, sourceMaxconn, rate, sourceTableSize);
    }

    public ListenerLimits withSourceTableSize(final int n) {
        return new ListenerLimits(allow, deny, maxconn, sourceMaxconn, sourceRate, n);
    }
}
