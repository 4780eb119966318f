package dev.niolb.loop;

import dev.niolb.testing.RunningLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class LoopTimerTest {
    @RegisterExtension
    final RunningLoop running = new RunningLoop(0);
    private final LinkedBlockingQueue<String> fired = new LinkedBlockingQueue<>();

    @Test
    void aNewDeadlineReplacesThePendingOneAndTheTimerFiresOnceDisarmed() throws Exception {
        final LoopTimer[] timer = new LoopTimer[1];
        running.loop().submit(() -> {
            timer[0] = new LoopTimer(running.loop(), now -> fired.add("fired, armed " + timer[0].armed()));
            timer[0].after(10_000);
            timer[0].after(20); // replaces the first: only one fires, and soon
            return true;
        }).get(5, TimeUnit.SECONDS);
        assertThat(fired.poll(5, TimeUnit.SECONDS)).isEqualTo("fired, armed false");
        assertThat(running.loop().submit(() -> timer[0].armed()).get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(fired).isEmpty();
    }

    @Test
    void anArmedTimerKeepsItsEarlierDeadlineAndACancelledOneNeverFires() throws Exception {
        final LoopTimer[] timers = new LoopTimer[2];
        running.loop().submit(() -> {
            timers[0] = new LoopTimer(running.loop(), now -> fired.add("kept"));
            timers[0].after(20);
            timers[0].afterUnlessArmed(10_000); // armed: the 20 ms deadline stands
            timers[1] = new LoopTimer(running.loop(), now -> fired.add("cancelled"));
            timers[1].after(10);
            timers[1].cancel();
            timers[1].cancel(); // idempotent
            return true;
        }).get(5, TimeUnit.SECONDS);
        assertThat(fired.poll(5, TimeUnit.SECONDS)).isEqualTo("kept");
        // a command after the kept one fired has seen every wheel tick the cancelled one could have fired in
        running.loop().submit(() -> true).get(5, TimeUnit.SECONDS);
        assertThat(fired).isEmpty();
    }
}
