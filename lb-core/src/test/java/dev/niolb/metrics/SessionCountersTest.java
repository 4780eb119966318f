package dev.niolb.metrics;

import dev.niolb.session.Termination;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The one place a listener's counters learn that a session or flow ended, whatever its protocol. */
class SessionCountersTest {
    private static final int ACTIVE = 1;

    @Test
    void anEndCountsItsReasonRecordsItsDurationAndLeavesOneFewerOpen() {
        final SessionCounters counters = new SessionCounters(3, ACTIVE, 2) { };
        counters.add(1, ACTIVE, 2);
        counters.ended(1, Termination.IDLE_TIMEOUT, 3_000_000);
        assertThat(counters.active()).isOne();
        assertThat(counters.terminated(Termination.IDLE_TIMEOUT)).isOne();
        assertThat(counters.terminated(Termination.CLIENT_CLOSE)).isZero();
        assertThat(counters.durations().snapshot(0).count()).isOne();
    }
}
