package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BusyPollTest {
    @Test
    void aWindowIsWholeMicrosecondsOrMilliseconds() {
        assertThat(BusyPoll.parse("50us").window()).isEqualTo(Duration.ofNanos(50_000));
        assertThat(BusyPoll.parse(" 2ms ").window()).isEqualTo(Duration.ofMillis(2));
        assertThat(BusyPoll.parse("100ms").window()).isEqualTo(BusyPoll.MAX);
    }

    @Test
    void zeroAndOffBothMeanSleepingAtOnce() {
        assertThat(BusyPoll.parse("0")).isEqualTo(BusyPoll.OFF);
        assertThat(BusyPoll.parse("OFF")).isEqualTo(BusyPoll.OFF);
        assertThat(BusyPoll.parse("0us").enabled()).isFalse();
        assertThat(BusyPoll.parse("1us").enabled()).isTrue();
    }

    @Test
    void anythingElseIsRefusedInOneLineNamingIt() {
        for (final String bad : new String[] {"", "us", "50", "50ns", "1s", "-5us", "5 ms", "1234567890us", "on"}) {
            assertThatThrownBy(() -> BusyPoll.parse(bad)).as(bad)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bad busy-poll '" + bad + "'")
                .hasMessageNotContaining("\n");
        }
    }

    @Test
    void aWindowLongerThanTheMaximumIsRefused() {
        assertThatThrownBy(() -> BusyPoll.parse("100001us"))
            .hasMessage("busy-poll must be 0..100ms, got 100001us");
        assertThatThrownBy(() -> new BusyPoll(Duration.ofMillis(-1))).hasMessageStartingWith("busy-poll must be");
    }

    @Test
    void theTextFormReadsBackToTheSameWindow() {
        for (final String text : new String[] {"off", "1us", "50us", "1500us", "1ms", "100ms"}) {
            assertThat(BusyPoll.parse(text).toString()).isEqualTo(text);
        }
    }
}
