package dev.niolb.loop;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

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
}
