package dev.niolb.admission;

import java.net.InetAddress;

/**
 * Whether a listener admits a new connection from a client: its access list, then its per-source limits (open
 * connections and new-connection rate). One entry point for every path that learns a client address: the
 * acceptor with the peer's address, the PROXY protocol reader with the address the header names, and a UDP
 * receiver with the client of a datagram that would open a new flow (a flow counts as a connection).
 *
 * <p>Contract: every {@link #admit} that returns {@link Verdict#OK} is matched by exactly one {@link #release}
 * with the same address when that connection ends; a refused one is not.
 *
 * <p>Threading: any thread. The access list is immutable; the per-source state is a {@link SourceTable}, taken
 * at accept and at close only. Without per-source limits nothing is kept and {@code release} does nothing.
 */
public final class Admission {
    /** Why a connection was refused, or {@link #OK}. */
    public enum Verdict {
        OK,
        /** The access list refuses the source (denied, or not in a non-empty allow list). */
        ACL,
        /** The source has its maximum of connections open ({@code source-maxconn}). */
        SOURCE_LIMIT,
        /** The source opens connections faster than its rate ({@code source-rate}). */
        SOURCE_RATE
    }

    /** Admits everyone, keeps nothing. */
    public static final Admission OPEN = new Admission(AccessList.OPEN, 0, 0, 1, 1);

    private final AccessList access;
    private final SourceTable sources; // null: no per-source limit
    private final int sourceMaxconn;
    private final long intervalNanos;
    private final int burst;
    private final int tableSize;

    /**
     * @param sourceMaxconn connections one source may have open at once; 0 for no cap
     * @param intervalNanos the time one token of a source's bucket takes to come back; 0 for no rate limit
     * @param burst         the bucket's size in tokens
     * @param tableSize     sources remembered (the {@link SourceTable} is allocated here, once, if a per-source
     *                      limit is set)
     */
    public Admission(final AccessList access, final int sourceMaxconn, final long intervalNanos, final int burst,
                     final int tableSize) {
        this(access, sourceMaxconn, intervalNanos, burst, tableSize, null);
    }

    /**
     * As the other constructor, over the per-source counts of {@code previous} when it keeps a table of the same
     * size (and these limits need one): a reload that changes {@code source-maxconn} or {@code source-rate} goes on
     * from what each source has open and what its bucket holds. Were it to start from empty tables, lowering a
     * source's cap during a flood would admit it as many again. A table is kept (and counts, limiting nothing)
     * through a reload that turns every per-source limit off, so that turning one on again finds the connections
     * still open; without it, they would be released into a table that no longer exists and the new one would
     * admit as many again (black-box testing, session 20).
     */
    public Admission(final AccessList access, final int sourceMaxconn, final long intervalNanos, final int burst,
                     final int tableSize, final Admission previous) {
        if (sourceMaxconn < 0 || intervalNanos < 0 || burst < 1) {
            throw new IllegalArgumentException("source-maxconn and the rate interval must not be negative, burst positive");
        }
        this.access = access;
        this.sourceMaxconn = sourceMaxconn;
        this.intervalNanos = intervalNanos;
        this.burst = burst;
        this.tableSize = tableSize;
        final boolean needed = sourceMaxconn > 0 || intervalNanos > 0;
        final boolean kept = previous != null && previous.sources != null && previous.tableSize == tableSize;
        if (kept) {
            this.sources = previous.sources;
        } else if (needed) {
            this.sources = new SourceTable(tableSize);
        } else {
            this.sources = null;
        }
    }

    /** {@link #admit(InetAddress, long)} at {@link System#nanoTime()}. */
    public Verdict admit(final InetAddress client) {
        return admit(client, System.nanoTime());
    }

    /**
     * Decides on a new connection from {@code client} and, when it is admitted, counts it against its source.
     *
     * @param nowNanos a {@link System#nanoTime()} reading (a loop's cached clock is fine)
     */
    /**
     * A trusted proxy's own connection or datagram, whose PROXY header names no client (v2 LOCAL, v1 UNKNOWN: its
     * health check): judged by the deny list alone, and counted against no source. The allow list is of clients
     * (an upstream's checks were reset by it; black-box testing, session 30), but a deny naming the proxy is the
     * operator's word about it. Nothing to {@link #release}.
     */
    public Verdict admitProxysOwn(final InetAddress proxy) {
        return access.denies(proxy) ? Verdict.ACL : Verdict.OK;
    }

    public Verdict admit(final InetAddress client, final long nowNanos) {
        if (!access.permits(client)) {
            return Verdict.ACL;
        }
        if (sources == null) {
            return Verdict.OK;
        }
        return switch (sources.acquire(client, nowNanos, sourceMaxconn, intervalNanos, burst)) {
            case SourceTable.OK -> Verdict.OK;
            case SourceTable.OVER_LIMIT -> Verdict.SOURCE_LIMIT;
            default -> Verdict.SOURCE_RATE;
        };
    }

    /** A connection admitted from {@code client} has ended. */
    public void release(final InetAddress client) {
        if (sources != null) {
            sources.release(client);
        }
    }

    /** The access list alone, with no per-source count taken. */
    public boolean permits(final InetAddress client) {
        return access.permits(client);
    }

    public AccessList access() {
        return access;
    }

    /** The per-source table, or null when no per-source limit is set. */
    public SourceTable sources() {
        return sources;
    }
}
