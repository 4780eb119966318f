package dev.niolb.tcp;

import dev.niolb.loop.Termination;
import dev.niolb.metrics.StripedCounters;

/**
 * Counters of one listener: accepted, active, failed connect tries, and one counter for each way a session ends.
 *
 * <p>Threading: {@link StripedCounters} — loop {@code i} writes stripe {@code i}; any thread reads sums.
 */
public final class ListenerCounters {
    public static final int ACCEPTED = 0;
    public static final int ACTIVE = 1;
    /** Connect tries that failed and were retried on another server (or ended the session). */
    public static final int CONNECT_FAILURES = 2;
    /** Times accept failed (e.g. out of file descriptors) and the acceptor backed off. */
    public static final int ACCEPT_ERRORS = 3;
    private static final int TERMINATIONS = 4;

    private final StripedCounters counters;

    public ListenerCounters(final int stripes) {
        this.counters = new StripedCounters(TERMINATIONS + Termination.count(), stripes);
    }

    public void add(final int stripe, final int field, final long delta) {
        counters.add(stripe, field, delta);
    }

    public void terminated(final int stripe, final Termination how) {
        counters.add(stripe, TERMINATIONS + how.ordinal(), 1);
    }

    public long get(final int field) {
        return counters.sum(field);
    }

    public long accepted() {
        return get(ACCEPTED);
    }

    public long active() {
        return get(ACTIVE);
    }

    public long connectFailures() {
        return get(CONNECT_FAILURES);
    }

    public long acceptErrors() {
        return get(ACCEPT_ERRORS);
    }

    /** Sessions that ended {@code how}. */
    public long terminated(final Termination how) {
        return counters.sum(TERMINATIONS + how.ordinal());
    }
}
