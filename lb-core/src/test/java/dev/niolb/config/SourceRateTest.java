package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SourceRateTest {
    @Test
    void aRateWithABurstReadsBothAndReadsBackTheSame() {
        final SourceRate rate = SourceRate.parse("20/s,burst=50");

        assertThat(rate).isEqualTo(new SourceRate(20, Duration.ofSeconds(1), 50));
        assertThat(SourceRate.parse(rate.toString())).isEqualTo(rate);
    }

    @Test
    void aBurstGivenTwiceIsRefusedNotTheLastOneTaken() {
        assertThatThrownBy(() -> SourceRate.parse("5/s,burst=10,burst=20"))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("bad source rate '5/s,burst=10,burst=20': 'burst' is given twice");
    }

    @Test
    void digitsPastAnIntAreANumberOutOfRangeNotNoNumber() {
        assertThatThrownBy(() -> SourceRate.parse("99999999999/s"))
            .hasMessage("bad source rate '99999999999/s': count '99999999999' is out of range (0.."
                + SourceRate.MAX_COUNT + ")");
        assertThatThrownBy(() -> SourceRate.parse("5/s,burst=x")).hasMessageEndingWith("burst 'x' is not a number");
    }
}
