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
    /** Per stripe: the loop's last connect time as measured, before {@link #recordConnectNanos} filtered it. */
    private static final int LAST_CONNECT_NANOS = 7;

    private static final int FIELDS = 8;
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
    /**
     * Most of TCP's initial retransmission timeout (1 s, RFC 6298, Linux's TCP_TIMEOUT_INIT), a little left for
     * a timer that fires early by a tick: a connect this slow sent its SYN twice.
     */
    static final long SYN_RETRANSMITTED_NANOS = 900_000_000L;

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
     *
     * <p>What is folded in is the lesser of this connect time and the loop's previous one to the server: a slow
     * connect counts once the next is slow too. One alone is most often the loop's own delay, not the server's
     * (preempted between the connect and its readiness on a loaded machine), and at weight 1/8 one 20 ms outlier
     * among 0.3 ms connects raised a server's average eightfold and kept it out of {@code leasttime}'s draws for
     * over a second, until that had aged: with weights 10,1,1 a light server got 1 of 1,200 sessions (CI, session
     * 24). A server that is slow stays slow from one connect to the next and is seen one connect later; one that
     * drops SYNs often enough to matter has two slow connects in a row often enough to be seen.
     *
     * <p>So the loop's first connect to a server is kept to be compared with the next, and folds in nothing: taken
     * alone, one slow first connect (niolb's own cold start, the server's) made a server as slow as it and
     * {@code leasttime} sent it 1 of 50 sessions while the others took 36 and 13 (black-box testing, session 27).
     * Until its second connect a server counts as not measured, which is like the other server drawn. A first
     * connect of about a second or more ({@link #SYN_RETRANSMITTED_NANOS}) counts at once: its SYN went unanswered and
     * was sent again, which is the server's doing (a full accept queue), not a delay of niolb's.
     *
     * <p>The part of the old average that age took off ({@link #HALF_LIFE_NANOS}) goes to the new time rather
     * than to 0: after a long wait the fresh measurement decides, not the old one and not a blend of the new
     * with nothing (which made a server measured rarely look up to eight times faster than it is).
     */
    public void recordConnectNanos(final int stripe, final long nanos, final long atNanos) {
        final long previous = counters.get(stripe, LAST_CONNECT_NANOS);
        if (previous == 0 && nanos < SYN_RETRANSMITTED_NANOS) {
            counters.add(stripe, LAST_CONNECT_NANOS, Math.max(1, nanos));
            return;
        }
        final long sample = Math.max(1, previous == 0 ? nanos : Math.min(nanos, previous));
        final long ewma = counters.get(stripe, CONNECT_NANOS_EWMA);
        final long next;
        if (ewma == 0) {
            next = sample;
        } else {
            final long halvings = halvings(atNanos - counters.get(stripe, CONNECT_SAMPLED_AT));
            final long folded = ewma + (sample - ewma) / 8;
            next = halvings >= 63 ? sample : Math.max(1, (folded >> halvings) + sample - (sample >> halvings));
        }
        counters.add(stripe, CONNECT_NANOS_EWMA, next - ewma);
        counters.add(stripe, CONNECT_SAMPLED_AT, atNanos - counters.get(stripe, CONNECT_SAMPLED_AT));
        counters.add(stripe, LAST_CONNECT_NANOS, Math.max(1, nanos) - previous);
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
