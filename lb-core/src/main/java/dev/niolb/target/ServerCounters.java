package dev.niolb.target;

import dev.niolb.metrics.StripedCounters;

/**
 * Live counters of one server, striped by event loop so that every stripe has a single writer.
 *
 * <p>Threading: {@link StripedCounters}: loop {@code i} is the only writer of stripe {@code i}; any thread reads
 * the sums, so balancers on one loop see the active sessions of every other loop without a lock.
 */
public final class ServerCounters {
    /** Sessions open now. */
    public static final int ACTIVE = 0;
    /** Sessions ever connected to this server. */
    public static final int TOTAL = 1;
    /** Connect attempts that failed (refused, unreachable, timed out). */
    public static final int FAILED_CONNECTS = 2;
    /** Bytes relayed from clients to this server. */
    public static final int BYTES_TO_SERVER = 3;
    /** Bytes relayed from this server to clients. */
    public static final int BYTES_FROM_SERVER = 4;

    private static final int FIELDS = 5;

    private final StripedCounters counters;

    public ServerCounters(final int stripes) {
        this.counters = new StripedCounters(FIELDS, stripes);
    }

    /** Adds {@code delta} to {@code field} in {@code stripe}. Only the stripe's owning loop may call this. */
    public void add(final int stripe, final int field, final long delta) {
        counters.add(stripe, field, delta);
    }

    /** The sum of {@code field} over every stripe. Any thread. */
    public long get(final int field) {
        return counters.sum(field);
    }

    public long active() {
        return get(ACTIVE);
    }

    public long total() {
        return get(TOTAL);
    }

    public long failedConnects() {
        return get(FAILED_CONNECTS);
    }

    public long bytesToServer() {
        return get(BYTES_TO_SERVER);
    }

    public long bytesFromServer() {
        return get(BYTES_FROM_SERVER);
    }

    public int stripes() {
        return counters.stripes();
    }
}
