package dev.niolb.tcp;

import dev.niolb.metrics.SessionCounters;

/**
 * Counters of one listener: accepted, active, failed connect tries, and one counter for each way a session ends.
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
    /** Bytes relayed from clients to servers. */
    public static final int BYTES_IN = 4;
    /** Bytes relayed from servers to clients. */
    public static final int BYTES_OUT = 5;
    private static final int FIELDS = 6;

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
}
