package dev.niolb.admission;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class ConnectionLimitTest {
    @Test
    void placesAreTakenUpToTheMaximumAndGivenBack() {
        final ConnectionLimit limit = new ConnectionLimit(2);

        assertThat(limit.tryAcquire()).isTrue();
        assertThat(limit.tryAcquire()).isTrue();
        assertThat(limit.tryAcquire()).isFalse();
        limit.release();
        assertThat(limit.tryAcquire()).isTrue();
        assertThat(limit.open()).isEqualTo(2);
    }

    @Test
    void withoutAMaximumNothingIsCounted() {
        for (int i = 0; i < 1000; i++) {
            assertThat(ConnectionLimit.UNLIMITED.tryAcquire()).isTrue();
        }
        assertThat(ConnectionLimit.UNLIMITED.open()).isZero();
    }

    @Test
    void theReleaseThatMakesRoomWakesEveryParkedWaiter() {
        final ConnectionLimit limit = new ConnectionLimit(1);
        final AtomicInteger wakes = new AtomicInteger();
        limit.register(wakes::incrementAndGet);
        limit.register(wakes::incrementAndGet);
        limit.tryAcquire();

        assertThat(limit.tryAcquire()).isFalse();
        assertThat(limit.park()).isTrue();
        limit.release();

        assertThat(wakes.get()).isEqualTo(2);
    }

    @Test
    void noWaiterIsWokenWhenNoneIsParked() {
        final ConnectionLimit limit = new ConnectionLimit(1);
        final AtomicInteger wakes = new AtomicInteger();
        limit.register(wakes::incrementAndGet);
        limit.tryAcquire();
        limit.release();

        assertThat(wakes.get()).isZero();
    }

    @Test
    void aWaiterThatParksAfterRoomWasMadeIsToldNotToStayParked() {
        final ConnectionLimit limit = new ConnectionLimit(1);
        limit.tryAcquire();
        assertThat(limit.tryAcquire()).isFalse();
        limit.release(); // between the failed acquire and the park: nobody was parked to wake

        assertThat(limit.park()).isFalse();
    }
}
