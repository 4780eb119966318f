package dev.niolb.metrics;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed set of long counters, striped by writer so that every stripe has exactly one writer thread.
 *
 * <p>Threading: the owner of stripe {@code i} (event loop {@code i}) is its only writer: a plain read and a
 * release write, no atomic read-modify-write, no lock, no cache line shared with another writer (stripes are
 * padded apart). Any thread reads sums with acquire loads. A sum is exact per stripe, not atomic across
 * stripes, which is what balancing and metrics need.
 */
public final class StripedCounters {
    private static final int PAD = 16; // longs between stripes: 128 bytes, two cache lines
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] values;
    private final int fields;
    private final int stripes;
    private final int stride;

    public StripedCounters(final int fields, final int stripes) {
        if (fields < 1 || stripes < 1) {
            throw new IllegalArgumentException("fields and stripes must be positive");
        }
        this.fields = fields;
        this.stripes = stripes;
        this.stride = ((fields + PAD - 1) / PAD) * PAD;
        this.values = new long[(stripes + 1) * stride + PAD]; // a pad stripe before the first and after the last
    }

    /** Adds {@code delta} to {@code field} of {@code stripe}. Only the stripe's owner may call this. */
    public void add(final int stripe, final int field, final long delta) {
        final int i = index(stripe, field);
        LONGS.setRelease(values, i, (long) LONGS.getOpaque(values, i) + delta);
    }

    /** The value of {@code field} in one stripe. Any thread. */
    public long get(final int stripe, final int field) {
        return (long) LONGS.getAcquire(values, index(stripe, field));
    }

    /** The sum of {@code field} over every stripe. Any thread. */
    public long sum(final int field) {
        long sum = 0;
        for (int s = 0; s < stripes; s++) {
            sum += (long) LONGS.getAcquire(values, index(s, field));
        }
        return sum;
    }

    public int fields() {
        return fields;
    }

    public int stripes() {
        return stripes;
    }

    private int index(final int stripe, final int field) {
        if (field < 0 || field >= fields || stripe < 0 || stripe >= stripes) {
            throw new IndexOutOfBoundsException("stripe " + stripe + " field " + field);
        }
        return (stripe + 1) * stride + field;
    }
}
