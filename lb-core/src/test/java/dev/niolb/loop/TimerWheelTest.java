package dev.niolb.loop;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class TimerWheelTest {
    private static final long START = 1_000_000;
    private final TimerWheel wheel = new TimerWheel(START);
    private final List<String> fired = new ArrayList<>();
    private final List<Throwable> failures = new ArrayList<>();

    private LoopTimer timer(final String name) {
        return new LoopTimer(null, now -> fired.add(name + "@" + now));
    }

    private void runUntil(final long endMs) {
        for (long now = START; now <= endMs; now++) {
            wheel.expire(now, failures::add);
        }
    }

    @Test
    void aTimerFiresNoEarlierThanItsDeadlineAndAtMostOneTickLater() {
        for (final long delay : new long[] {0, 1, 7, 8, 9, 100, 4095, 4096, 5000}) {
            final TimerWheel w = new TimerWheel(START);
            final long[] at = {-1};
            w.add(new LoopTimer(null, now -> at[0] = now), START + delay, START);
            for (long now = START; at[0] < 0 && now < START + delay + 100; now++) {
                w.expire(now, failures::add);
            }
            assertThat(at[0]).as("delay %d", delay).isBetween(START + delay, START + delay + TimerWheel.TICK_MS);
            assertThat(w.count()).isZero();
        }
    }

    @Test
    void aTimerDueInALaterTurnOfTheWheelPassesItsSlotUntilItsTurn() {
        final long turn = (long) TimerWheel.SLOTS * TimerWheel.TICK_MS;
        wheel.add(timer("late"), START + 3 * turn + 5, START);
        runUntil(START + 3 * turn);
        assertThat(fired).isEmpty();
        runUntil(START + 3 * turn + 5 + TimerWheel.TICK_MS);
        assertThat(fired).hasSize(1);
    }

    @Test
    void aCancelledTimerNeverFiresAndIsNoLongerCounted() {
        final LoopTimer kept = timer("kept");
        final LoopTimer cancelled = timer("cancelled");
        wheel.add(kept, START + 50, START);
        wheel.add(cancelled, START + 50, START);
        wheel.remove(cancelled);
        assertThat(cancelled.armed()).isFalse();
        assertThat(wheel.count()).isEqualTo(1);
        runUntil(START + 100);
        assertThat(fired).containsExactly("kept@" + (START + 56));
    }

    @Test
    void aCallbackThatCancelsAnotherTimerDueInTheSameTickStopsItFiring() {
        final LoopTimer[] pair = new LoopTimer[2];
        for (int i = 0; i < 2; i++) {
            final int self = i;
            pair[i] = new LoopTimer(null, now -> {
                fired.add("fired");
                if (pair[1 - self].armed()) { // whichever fires first cancels the other, taken out to fire too
                    wheel.remove(pair[1 - self]);
                }
            });
            wheel.add(pair[i], START + 10, START);
        }
        runUntil(START + 30);
        assertThat(fired).containsExactly("fired");
        assertThat(wheel.count()).isZero();
    }

    @Test
    void aTimerArmedAgainFromItsCallbackForThePastFiresAtTheNextExpireNotInTheSameOne() {
        final int[] fires = {0};
        final LoopTimer[] self = new LoopTimer[1];
        self[0] = new LoopTimer(null, now -> {
            fires[0]++;
            wheel.add(self[0], now - 1000, now);
        });
        wheel.add(self[0], START + 8, START);
        wheel.expire(START + 16, failures::add);
        assertThat(fires[0]).isEqualTo(1);
        wheel.expire(START + 24, failures::add);
        assertThat(fires[0]).isEqualTo(2);
    }

    @Test
    void aWheelFarBehindTheClockFiresEveryDueTimerOnceAndKeepsTheRest() {
        final long hour = 3_600_000;
        for (int i = 0; i < 1000; i++) {
            wheel.add(timer("t" + i), START + i * 37L, START);
        }
        wheel.add(timer("later"), START + 2 * hour, START);
        wheel.expire(START + hour, failures::add);
        assertThat(fired).hasSize(1000).doesNotHaveDuplicates();
        assertThat(wheel.count()).isEqualTo(1);
    }

    @Test
    void aFailingCallbackIsReportedAndTheOtherTimersStillFire() {
        wheel.add(timer("a"), START + 10, START);
        wheel.add(new LoopTimer(null, now -> {
            throw new IllegalStateException("boom (expected by the test)");
        }), START + 10, START);
        wheel.add(timer("b"), START + 10, START);
        runUntil(START + 30);
        assertThat(failures).hasSize(1);
        assertThat(fired).hasSize(2);
    }

    @Test
    void tenThousandTimersArmedInOneTickAllFireAndLeaveTheWheelEmpty() {
        for (int i = 0; i < 10_000; i++) {
            wheel.add(timer("t"), START + 300_000, START);
        }
        runUntil(START + 300_000 + 2 * TimerWheel.TICK_MS);
        assertThat(fired).hasSize(10_000);
        assertThat(wheel.count()).isZero();
    }

    @Test
    void anEmptyWheelLetsTheLoopSleepWithoutLimit() {
        assertThat(wheel.millisUntilDue(START)).isEqualTo(-1);
        final LoopTimer t = timer("t");
        wheel.add(t, START + 50, START);
        wheel.remove(t);
        assertThat(wheel.millisUntilDue(START)).isEqualTo(-1);
    }

    @Test
    void theLoopMaySleepUntilTheTickOfTheEarliestDeadlineEnds() {
        wheel.add(timer("late"), START + 60_000, START);
        wheel.add(timer("early"), START + 300, START);
        final long wait = wheel.millisUntilDue(START);
        assertThat(wait).isBetween(300L, 300L + TimerWheel.TICK_MS);
        runUntil(START + wait - 1);
        assertThat(fired).isEmpty();
        wheel.expire(START + wait, failures::add);
        assertThat(fired).hasSize(1);
        assertThat(START + wait + wheel.millisUntilDue(START + wait)).isBetween(START + 60_000, START + 60_000 + TimerWheel.TICK_MS);
    }

    @Test
    void aTimerDueNowOrEarlierLetsTheLoopSleepNoMore() {
        wheel.add(timer("t"), START + 100, START);
        assertThat(wheel.millisUntilDue(START + 200)).isZero();
    }

    /**
     * A loop that sleeps as long as the wheel says, with idle sessions' timers spread over ten minutes and some
     * cancelled: every timer fires no earlier than its deadline and at most a tick later, and the loop wakes about
     * once per deadline or cancellation where waking at every tick would take 75,000 wake-ups.
     */
    @Test
    void aLoopSleepingAsLongAsTheWheelSaysFiresEveryTimerInTimeAndWakesRarely() {
        final Random random = new Random(42);
        final long span = 600_000;
        final Map<String, Long> deadlines = new HashMap<>();
        final Map<String, Long> firedAt = new HashMap<>();
        final List<LoopTimer> cancelled = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            final String name = "t" + i;
            final long deadline = START + 1 + random.nextLong(span);
            final LoopTimer timer = new LoopTimer(null, now -> firedAt.put(name, now));
            wheel.add(timer, deadline, START);
            if (i % 10 == 0) {
                cancelled.add(timer);
            } else {
                deadlines.put(name, deadline);
            }
        }
        cancelled.forEach(wheel::remove);
        long now = START;
        int wakeUps = 0;
        while (wheel.count() > 0 && now < START + 2 * span) {
            final long wait = wheel.millisUntilDue(now);
            assertThat(wait).isNotNegative();
            now += Math.max(1, wait);
            wakeUps++;
            wheel.expire(now, failures::add);
        }
        assertThat(firedAt).hasSameSizeAs(deadlines);
        deadlines.forEach((name, deadline) ->
            assertThat(firedAt.get(name)).as(name).isBetween(deadline, deadline + TimerWheel.TICK_MS));
        assertThat(wakeUps).isLessThanOrEqualTo(deadlines.size() + cancelled.size());
        assertThat(failures).isEmpty();
    }

    @Test
    void aTimerArmedAfterTheWheelEmptiedIsNotDueAtOnceBecauseOfACancelledOne() {
        final LoopTimer cancelled = timer("cancelled");
        wheel.add(cancelled, START + 10, START);
        wheel.remove(cancelled);
        final long later = START + 60_000; // the loop slept with no timer; the clock moved on
        wheel.add(timer("t"), later + 500, later);
        assertThat(wheel.millisUntilDue(later)).isBetween(500L, 500L + TimerWheel.TICK_MS);
    }

    @Test
    void aTimerCancelledBeforeTheWheelEmptiedDoesNotMakeTheLoopSpinLater() {
        final LoopTimer cancelled = timer("cancelled");
        wheel.add(cancelled, START + 10, START);
        wheel.remove(cancelled); // the wheel is empty; then the loop sleeps a minute with no timer
        final long later = START + 60_000;
        wheel.add(timer("b"), later + 500, later);
        wheel.add(timer("c"), later + 20, later);
        long now = later;
        int wakeUps = 0;
        while (wheel.count() > 0 && wakeUps < 1000) {
            now += Math.max(1, wheel.millisUntilDue(now));
            wakeUps++;
            wheel.expire(now, failures::add);
        }
        assertThat(fired).hasSize(2);
        assertThat(wakeUps).as("one wake-up per timer").isEqualTo(2);
    }

    /**
     * The loop of {@link #aLoopSleepingAsLongAsTheWheelSaysFiresEveryTimerInTimeAndWakesRarely}, with timers that
     * arm themselves again from their callback and timers cancelled between wake-ups.
     */
    @Test
    void timersArmedAgainFromTheirCallbackOrCancelledWhileTheLoopRunsStillFireInTime() {
        final Random random = new Random(7);
        final Map<LoopTimer, Long> armed = new HashMap<>();
        final List<String> late = new ArrayList<>();
        final int[] fires = {0};
        final int[] rounds = new int[500];
        final List<LoopTimer> timers = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            final int id = i;
            final LoopTimer[] self = new LoopTimer[1];
            self[0] = new LoopTimer(null, now -> {
                final long deadline = armed.remove(self[0]);
                if (now < deadline || now > deadline + TimerWheel.TICK_MS) {
                    late.add(id + ": due " + deadline + ", fired " + now);
                }
                fires[0]++;
                if (++rounds[id] < 3) {
                    final long next = now + random.nextLong(20_000);
                    armed.put(self[0], next);
                    wheel.add(self[0], next, now);
                }
            });
            timers.add(self[0]);
            final long deadline = START + random.nextLong(60_000);
            armed.put(self[0], deadline);
            wheel.add(self[0], deadline, START);
        }
        long now = START;
        int wakeUps = 0;
        int cancels = 0;
        while (wheel.count() > 0 && wakeUps < 100_000) {
            final long wait = wheel.millisUntilDue(now);
            assertThat(wait).isNotNegative();
            now += Math.max(1, wait);
            wakeUps++;
            wheel.expire(now, failures::add);
            if (wakeUps % 3 == 0) {
                final LoopTimer victim = timers.get(random.nextInt(timers.size()));
                if (victim.armed()) {
                    wheel.remove(victim);
                    armed.remove(victim);
                    cancels++;
                }
            }
        }
        assertThat(late).isEmpty();
        assertThat(armed).isEmpty();
        assertThat(failures).isEmpty();
        assertThat(wakeUps).isLessThanOrEqualTo(fires[0] + cancels);
    }

    @Test
    void aDeadlineAtTheEndOfTimeIsNeverDueNowWhateverTheClock() {
        final long clock = -5_000_003; // System.nanoTime may be negative, and the loop's clock with it
        final TimerWheel negative = new TimerWheel(clock);
        negative.add(timer("never"), Long.MAX_VALUE, clock);
        assertThat(negative.millisUntilDue(clock)).isPositive();
        negative.add(timer("soon"), clock + 100, clock);
        assertThat(negative.millisUntilDue(clock)).isBetween(100L, 100L + TimerWheel.TICK_MS);
    }
}
