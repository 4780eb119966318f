package dev.niolb.backend;

import dev.niolb.metrics.LatencyBuckets;
import dev.niolb.metrics.LatencyRecorder;
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

    /** Per stripe: the loop's exponentially weighted moving average of connect times, in ns (0: none yet). */
    public static final int CONNECT_NANOS_EWMA = 5;
    /** Per stripe: when ({@link System#nanoTime()}) the loop last measured a connect. */
    private static final int CONNECT_SAMPLED_AT = 6;

    private static final int FIELDS = 7;
    /**
     * How fast an average nobody has measured again loses its weight: by half each quarter second. A server that
     * connected slowly once (a cold start, one lost SYN) and was then never picked by {@code leasttime} would
     * otherwise keep that one sample for ever and never be picked again; aged, what is left of its own time
     * counts with the others' for the rest ({@link #connectFreshness(long)}), it is tried again once that is
     * within a quarter of theirs, and a fresh sample says how fast it really is. A server that stays slow is
     * tried about once every log2(4 × its time / the others') quarter seconds. A second was too slow: one 29 ms
     * connect at start against 0.1 ms ones kept a server out for eight seconds (black-box testing, session 20).
     */
    static final long HALF_LIFE_NANOS = 250_000_000L;

    private final StripedCounters counters;
    private final LatencyRecorder connectTimes;
    private final LatencyRecorder sessionTimes;
    private final LatencyRecorder replyTimes;

    public ServerCounters(final int stripes) {
        this.counters = new StripedCounters(FIELDS, stripes);
        this.connectTimes = new LatencyRecorder(stripes, LatencyBuckets.LATENCY);
        this.sessionTimes = new LatencyRecorder(stripes, LatencyBuckets.DURATION);
        this.replyTimes = new LatencyRecorder(stripes, LatencyBuckets.LATENCY);
    }

    /** TCP connect times to this server, try by successful try (a failed try is counted, not timed). */
    public LatencyRecorder connectTimes() {
        return connectTimes;
    }

    /** How long this server's sessions lasted, from accept to close (TCP sessions and UDP flows). */
    public LatencyRecorder sessionTimes() {
        return sessionTimes;
    }

    /** UDP: from a client datagram sent to this server to the first reply after it. */
    public LatencyRecorder replyTimes() {
        return replyTimes;
    }

    /** Adds {@code delta} to {@code field} in {@code stripe}. Only the stripe's owning loop may call this. */
    public void add(final int stripe, final int field, final long delta) {
        counters.add(stripe, field, delta);
    }

    /** The sum of {@code field} over every stripe. Any thread. */
    public long get(final int field) {
        return counters.sum(field);
    }

    /** Sessions open on the loop of {@code stripe}. Any thread. */
    public long active(final int stripe) {
        return counters.get(stripe, ACTIVE);
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

    /**
     * Folds one connect time into {@code stripe}'s average (weight 1/8, as TCP's smoothed RTT). Only the
     * stripe's owning loop may call this: no loop writes another's line.
     */
    public void recordConnectNanos(final int stripe, final long nanos, final long atNanos) {
        // the old average aged first, as it was scored: a server measured afresh after a long wait starts from
        // that, not from the one slow sample that kept it out (which would take dozens of fresh ones to outweigh)
        final long old = aged(counters.get(stripe, CONNECT_NANOS_EWMA), atNanos - counters.get(stripe,
            CONNECT_SAMPLED_AT));
        final long next = old == 0 ? Math.max(1, nanos) : old + (nanos - old) / 8;
        counters.add(stripe, CONNECT_NANOS_EWMA, next - counters.get(stripe, CONNECT_NANOS_EWMA));
        counters.add(stripe, CONNECT_SAMPLED_AT, atNanos - counters.get(stripe, CONNECT_SAMPLED_AT));
    }

    /**
     * {@link #connectNanosEwma()} with each loop's average halved for every {@link #HALF_LIFE_NANOS} since that
     * loop last measured one, as {@code leasttime} scores it at {@code nowNanos}.
     */
    public long connectNanosEwma(final long nowNanos) {
        long sum = 0;
        int measured = 0;
        for (int s = 0; s < counters.stripes(); s++) {
            final long v = counters.get(s, CONNECT_NANOS_EWMA);
            if (v > 0) {
                sum += aged(v, nowNanos - counters.get(s, CONNECT_SAMPLED_AT));
                measured++;
            }
        }
        return measured == 0 ? 0 : sum / measured;
    }

    /**
     * How much of {@link #connectNanosEwma(long)} is measurement rather than age, in [0, 1]: the mean over the
     * loops that have measured one of 2<sup>-h</sup>, h being the {@link #HALF_LIFE_NANOS} halvings each has had
     * at {@code nowNanos}; 0 when none has measured. The aged average divided by this is the measured time the
     * aged one came from, so {@code leasttime} can take what age removed to be like the other server's time
     * rather than 0.
     */
    public double connectFreshness(final long nowNanos) {
        double sum = 0;
        int measured = 0;
        for (int s = 0; s < counters.stripes(); s++) {
            if (counters.get(s, CONNECT_NANOS_EWMA) > 0) {
                sum += Math.scalb(1.0, -(int) Math.min(1_074, halvings(nowNanos - counters.get(s,
                    CONNECT_SAMPLED_AT))));
                measured++;
            }
        }
        return measured == 0 ? 0 : sum / measured;
    }

    /** The mean of the loops' connect-time averages, over the loops that have measured one; 0 when none has. */
    public long connectNanosEwma() {
        long sum = 0;
        int measured = 0;
        for (int s = 0; s < counters.stripes(); s++) {
            final long v = counters.get(s, CONNECT_NANOS_EWMA);
            if (v > 0) {
                sum += v;
                measured++;
            }
        }
        return measured == 0 ? 0 : sum / measured;
    }

    /** {@code ewma} halved for every {@link #HALF_LIFE_NANOS} of {@code ageNanos} (none for a negative age). */
    private static long aged(final long ewma, final long ageNanos) {
        final long halvings = halvings(ageNanos);
        return halvings >= 63 ? 0 : ewma >> halvings;
    }

    private static long halvings(final long ageNanos) {
        return Math.max(0, ageNanos) / HALF_LIFE_NANOS;
    }

    public int stripes() {
        return counters.stripes();
    }
}
