package dev.niolb.tcp;

import java.util.concurrent.atomic.AtomicLong;
import dev.niolb.admission.Admission;
import dev.niolb.metrics.SessionCounters;

/**
 * Written by each event loop in its own stripe; read by any thread.
 *
 * Counters of one listener: accepted, active, failed connect tries, connections refused at accept by reason,
 * time spent at maxconn, and one counter for each way a session ends.
 *
 * <p>Threading: {@link SessionCounters}.
 */
public final class ListenerCounters extends SessionCounters {
    public static final int ACCEPTED = 0;
    public static final int ACTIVE = 1;
    /** Connect tries that failed and were retried on another server (or ended the session). */
    public static final int CONNECT_FAILURES = 2;
    /** Times accept failed (e.g. out of file descriptors) and the acceptor backed off. */
    public static final int ACCEPT_ERRORS = 3;
    /** PROXY protocol headers read and accepted from trusted peers (LOCAL and UNKNOWN included). */
    public static final int PROXY_HEADERS = 4;
    /** Peers of an accept-proxy listener outside its trusted sources, served as direct clients without a header. */
    public static final int PROXY_DIRECT = 5;
    /** Connections closed because their PROXY header was malformed. */
    public static final int PROXY_MALFORMED = 6;
    /** Connections closed because their PROXY header was too long (v1 without CRLF in 107 bytes, v2 over the bound). */
    public static final int PROXY_OVERSIZE = 7;
    /** Connections closed because their PROXY header was not complete within the header timeout. */
    public static final int PROXY_TIMEOUT = 8;
    /** Connections whose peer closed or reset before its PROXY header was complete. */
    public static final int PROXY_INCOMPLETE = 9;
    /** Connections refused at accept by the access list (closed with a reset; not in {@link #ACCEPTED}). */
    public static final int REJECTED_ACL = 10;
    /** Connections refused at accept: their source had its {@code source-maxconn} open. */
    public static final int REJECTED_SOURCE_LIMIT = 11;
    /** Connections refused at accept: their source opened connections faster than {@code source-rate}. */
    public static final int REJECTED_SOURCE_RATE = 12;
    /** Times a loop stopped accepting on this listener because it (or the process) was at its maxconn. */
    public static final int MAXCONN_PAUSES = 13;
    /** Milliseconds loops spent not accepting at maxconn, summed over loops (counted when a pause ends). */
    public static final int MAXCONN_PAUSED_MS = 14;
    /** Bytes relayed from clients to servers. */
    public static final int BYTES_IN = 15;
    /** Bytes relayed from servers to clients. */
    public static final int BYTES_OUT = 16;
    private static final int FIELDS = 17;

    private final AtomicLong pausedMsSaid = new AtomicLong();

    public ListenerCounters(final int stripes) {
        super(FIELDS, ACTIVE, stripes);
    }

    public long accepted() {
        return get(ACCEPTED);
    }

    public long connectFailures() {
        return get(CONNECT_FAILURES);
    }

    public long acceptErrors() {
        return get(ACCEPT_ERRORS);
    }

    public long bytesIn() {
        return get(BYTES_IN);
    }

    public long bytesOut() {
        return get(BYTES_OUT);
    }

    public long proxyHeaders() {
        return get(PROXY_HEADERS);
    }

    /**
     * Connections refused for their PROXY header: malformed, oversize, timeout. Not a peer that closed before its
     * header was whole ({@link #PROXY_INCOMPLETE}): niolb refused nothing there, the session ends {@code
     * client_close} or {@code client_reset}, and an upstream balancer's TCP checks (connect, close) made this count
     * climb with no refusal and no warning (black-box testing, session 32).
     */
    public long proxyHeaderErrors() {
        return get(PROXY_MALFORMED) + get(PROXY_OVERSIZE) + get(PROXY_TIMEOUT);
    }

    /** The field that counts refusals for {@code verdict} (not {@link Admission.Verdict#OK}). */
    public static int rejectedField(final Admission.Verdict verdict) {
        return switch (verdict) {
            case ACL -> REJECTED_ACL;
            case SOURCE_LIMIT -> REJECTED_SOURCE_LIMIT;
            case SOURCE_RATE -> REJECTED_SOURCE_RATE;
            case OK -> throw new IllegalArgumentException("an admitted connection is not a refusal");
        };
    }

    /** Connections refused at accept for {@code verdict}. */
    public long rejected(final Admission.Verdict verdict) {
        return get(rejectedField(verdict));
    }

    public long maxconnPauses() {
        return get(MAXCONN_PAUSES);
    }

    /**
     * Milliseconds of maxconn pauses that ended; {@link TcpListener#maxconnPausedMs} adds the ones going on.
     */
    public long maxconnPausesEndedMs() {
        return get(MAXCONN_PAUSED_MS);
    }

    /**
     * {@code total}, or more: the most this has been asked with. A reading between a loop's two writes as it ends a
     * pause misses that pause for a moment, and a counter that dipped would read as a reset to Prometheus.
     */
    long notBelowBefore(final long total) {
        return pausedMsSaid.accumulateAndGet(total, Math::max);
    }
}
