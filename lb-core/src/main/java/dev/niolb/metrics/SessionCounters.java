package dev.niolb.metrics;

import dev.niolb.session.Termination;

/**
 * The counters of a listener: its own fields (numbered from 0, one of them the sessions open now), then one
 * counter for each {@link Termination}, so that every way a session or flow ends is counted.
 *
 * <p>Threading: {@link StripedCounters} — loop {@code i} writes stripe {@code i}; any thread reads sums.
 */
public abstract class SessionCounters {
    private final StripedCounters counters;
    private final LatencyRecorder durations;
    private final int fields;
    private final int activeField;

    /**
     * @param fields      how many fields the subclass numbers from 0
     * @param activeField the one that counts sessions (or flows) open now
     */
    protected SessionCounters(final int fields, final int activeField, final int stripes) {
        this.counters = new StripedCounters(fields + Termination.count(), stripes);
        this.durations = new LatencyRecorder(stripes, LatencyBuckets.DURATION);
        this.fields = fields;
        this.activeField = activeField;
    }

    /** The loops these count for, one stripe each. */
    public final int stripes() {
        return counters.stripes();
    }

    /** Adds {@code delta} to {@code field}. Only stripe {@code stripe}'s loop may call this. */
    public final void add(final int stripe, final int field, final long delta) {
        counters.add(stripe, field, delta);
    }

    /** Counts one session (or flow) that ended {@code how}. Only stripe {@code stripe}'s loop may call this. */
    public final void terminated(final int stripe, final Termination how) {
        counters.add(stripe, fields + how.ordinal(), 1);
    }

    /**
     * Accounts a session (or flow) that ended {@code how} after {@code durationNanos}: its duration, its end, and
     * one fewer open, in that order, so that a reader that sees the open count drop also sees why. The one place
     * a listener's counters learn of an end, TCP or UDP. Only stripe {@code stripe}'s loop may call this.
     */
    public final void ended(final int stripe, final Termination how, final long durationNanos) {
        durations.record(stripe, durationNanos);
        terminated(stripe, how);
        counters.add(stripe, activeField, -1);
    }

    /** The sum of {@code field} over every loop. Any thread. */
    public final long get(final int field) {
        return counters.sum(field);
    }

    /** Sessions (or flows) open now. Any thread. */
    public final long active() {
        return counters.sum(activeField);
    }

    /** How long sessions (or flows) lasted, from accept (first datagram) to close, whatever their end. */
    public final LatencyRecorder durations() {
        return durations;
    }

    /** Sessions (or flows) that ended {@code how}. Any thread. */
    public final long terminated(final Termination how) {
        return counters.sum(fields + how.ordinal());
    }
}
