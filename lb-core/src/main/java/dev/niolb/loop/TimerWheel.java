package dev.niolb.loop;

import java.util.Arrays;

/**
 * Runs on its loop's thread.
 *
 * A hashed timer wheel whose timers are their own list nodes: a {@link WheelTimer} is linked into the slot of its
 * deadline's tick, so arming and cancelling are O(1) and allocate nothing, and the wheel holds one array of
 * {@value #SLOTS} list heads whatever the number of timers. It replaced Agrona's {@code DeadlineTimerWheel} with
 * a map from timer ids to callbacks: that wheel's slots are arrays that all double when one tick's overflows and
 * never shrink, so 10,000 idle sessions opened in a burst held about 230 bytes of timer arrays each.
 *
 * <p>A timer fires in the first {@link #expire} whose clock has passed the end of its deadline's tick: never
 * before its deadline, at most one tick ({@value #TICK_MS} ms) after it. A slot also holds timers due in later
 * turns of the wheel; they are passed over until their turn.
 *
 * <p>{@link #millisUntilDue} tells the loop how long it may sleep: until the end of the earliest tick that holds a
 * timer, from a lower bound kept per slot, so that a loop whose sessions are idle sleeps until the first of their
 * deadlines rather than waking at every tick to find nothing due (125 times a second). The bound is exact for a
 * slot once {@link #expire} has passed over it and only falls when a timer is armed; cancelling leaves it low,
 * which costs at most one early wake-up, after which the slot's bound is exact again.
 *
 * <p>Threading: the owning loop's thread only.
 */
final class TimerWheel {
    static final int TICK_MS = 8;
    private static final int TICK_SHIFT = 3; // log2(TICK_MS)
    static final int SLOTS = 512;
    private static final int MASK = SLOTS - 1;
    /** The list of timers taken out of their slot to fire in this {@link #expire}. */
    static final int FIRING = SLOTS;
    /** Where a timer that is not armed is: in no list. */
    static final int NONE = -1;
    private static final long NEVER = Long.MAX_VALUE;
    /** The longest sleep {@link #millisUntilDue} asks for (an hour); the loop then asks again. */
    private static final long MAX_SLEEP_TICKS = 3_600_000L >> TICK_SHIFT;

    private final WheelTimer[] heads = new WheelTimer[SLOTS + 1];
    // per slot, at most the earliest deadline tick of its timers (NEVER when empty); never below tick
    private final long[] earliest = new long[SLOTS + 1];
    private long tick; // the first tick not yet expired: every tick before it has fired
    private long nextDue = NEVER; // at most the earliest deadline tick of all armed timers
    private int count;

    TimerWheel(final long nowMs) {
        this.tick = nowMs >> TICK_SHIFT;
        Arrays.fill(earliest, NEVER);
    }

    /**
     * How long from {@code nowMs} the loop may wait before a timer can be due: 0 when one may be due already,
     * -1 when none is armed. Never later than the first deadline's tick ends; earlier only once per cancelled
     * timer.
     */
    long millisUntilDue(final long nowMs) {
        if (count == 0) {
            return -1;
        }
        final long nowTick = nowMs >> TICK_SHIFT;
        if (nextDue < nowTick) {
            return 0;
        }
        // in ticks first: a deadline near Long.MAX_VALUE, or a negative clock, must not overflow into "due now"
        final long ticks = Math.min(nextDue - nowTick, MAX_SLEEP_TICKS);
        return ((ticks + 1) << TICK_SHIFT) - (nowMs & (TICK_MS - 1));
    }

    /** Timers armed and not yet fired or cancelled. */
    int count() {
        return count;
    }

    /** Arms {@code timer} (not armed now) for {@code deadlineMs}; a deadline already past fires at the next tick. */
    void add(final WheelTimer timer, final long deadlineMs, final long nowMs) {
        if (count == 0) {
            // an empty wheel may be far behind the clock after a long idle block: nothing to step through
            tick = Math.max(tick, nowMs >> TICK_SHIFT);
            nextDue = NEVER; // a bound left by cancelled timers may be behind the new tick
        }
        final long due = Math.max(deadlineMs >> TICK_SHIFT, tick);
        final int slot = (int) (due & MASK);
        timer.deadlineTick = due;
        link(timer, slot);
        earliest[slot] = Math.min(earliest[slot], due);
        nextDue = Math.min(nextDue, due);
        count++;
    }

    /** Disarms {@code timer}, armed now (in a slot, or waiting to fire in this {@link #expire}). */
    void remove(final WheelTimer timer) {
        unlink(timer);
        count--;
    }

    /**
     * Fires every timer whose tick has ended by {@code nowMs}. A timer armed again from a callback with a past
     * deadline fires at the next call, so a callback can never keep this one going.
     *
     * @param onFailure told of a callback's failure; the others still fire
     */
    void expire(final long nowMs, final FailureHandler onFailure) {
        final long now = nowMs >> TICK_SHIFT;
        if (now <= tick || count == 0) {
            tick = Math.max(tick, now);
            return;
        }
        if (now - tick >= SLOTS) {
            for (int slot = 0; slot < SLOTS; slot++) { // a full turn or more behind: every slot once
                collect(slot, now);
            }
        } else {
            for (long t = tick; t < now; t++) {
                collect((int) (t & MASK), now);
            }
        }
        tick = now;
        if (nextDue < now) {
            // every slot passed over is exact again, and no slot's bound is below now: the earliest of them is
            nextDue = NEVER;
            for (int slot = 0; slot < SLOTS; slot++) {
                nextDue = Math.min(nextDue, earliest[slot]);
            }
        }
        WheelTimer timer;
        while ((timer = heads[FIRING]) != null) {
            remove(timer);
            try {
                timer.expired(nowMs);
            } catch (final RuntimeException | Error e) {
                onFailure.failed(e);
            }
        }
    }

    /** Moves the timers of {@code slot} due before tick {@code now} to the firing list; the rest set its bound. */
    private void collect(final int slot, final long now) {
        long left = NEVER;
        WheelTimer timer = heads[slot];
        while (timer != null) {
            final WheelTimer next = timer.next;
            if (timer.deadlineTick < now) {
                unlink(timer);
                link(timer, FIRING);
            } else {
                left = Math.min(left, timer.deadlineTick);
            }
            timer = next;
        }
        earliest[slot] = left;
    }

    private void link(final WheelTimer timer, final int list) {
        final WheelTimer head = heads[list];
        timer.list = list;
        timer.prev = null;
        timer.next = head;
        if (head != null) {
            head.prev = timer;
        }
        heads[list] = timer;
    }

    private void unlink(final WheelTimer timer) {
        final WheelTimer prev = timer.prev;
        final WheelTimer next = timer.next;
        if (prev == null) {
            heads[timer.list] = next;
            if (next == null) {
                earliest[timer.list] = NEVER;
            }
        } else {
            prev.next = next;
        }
        if (next != null) {
            next.prev = prev;
        }
        timer.prev = null;
        timer.next = null;
        timer.list = NONE;
    }

    /** What the loop does with a callback's failure. */
    @FunctionalInterface
    interface FailureHandler {
        void failed(Throwable failure);
    }
}
