package dev.niolb.target;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Live counters of one server, striped by event loop so that every stripe has a single writer.
 *
 * <p>Threading: loop {@code i} is the only writer of stripe {@code i} (plain read, release write: no atomic
 * read-modify-write, no lock, no contention between loops); any thread reads the sums with acquire loads, so
 * balancers on one loop see the active sessions of every other loop. Stripes are 128 bytes apart so that two
 * loops never write the same cache line.
 *
 * <p>A sum read while loops are writing is a consistent-enough view (each stripe is exact, the sum is not
 * atomic across stripes), which is what balancing and metrics need.
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
    private static final int STRIDE = 16; // longs: 128 bytes, two cache lines, between stripes
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;
    private final int stripes;

    public ServerCounters(final int stripes) {
        if (stripes < 1) {
            throw new IllegalArgumentException("stripes must be positive");
        }
        this.stripes = stripes;
        this.values = new long[(stripes + 1) * STRIDE]; // one leading pad stripe
    }

    /** Adds {@code delta} to {@code field} in {@code stripe}. Only the stripe's owning loop may call this. */
    public void add(final int stripe, final int field, final long delta) {
        final int i = index(stripe, field);
        LONGS.setRelease(values, i, (long) LONGS.getOpaque(values, i) + delta);
    }

    /** The sum of {@code field} over every stripe. Any thread. */
    public long get(final int field) {
        long sum = 0;
        for (int s = 0; s < stripes; s++) {
            sum += (long) LONGS.getAcquire(values, index(s, field));
        }
        return sum;
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
        return stripes;
    }

    private static int index(final int stripe, final int field) {
        if (field < 0 || field >= FIELDS) {
            throw new IndexOutOfBoundsException(field);
        }
        return (stripe + 1) * STRIDE + field;
    }
}
