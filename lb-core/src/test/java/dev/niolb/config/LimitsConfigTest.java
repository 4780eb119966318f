package dev.niolb.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LimitsConfigTest {
    @Test
    void aSourceRateIsACountPerSecondMinuteOrHourWithABurstOfOnePeriodByDefault() {
        assertThat(SourceRate.parse("20/s")).isEqualTo(new SourceRate(20, Duration.ofSeconds(1), 20));
        assertThat(SourceRate.parse("600/m").intervalNanos()).isEqualTo(100_000_000L);
        assertThat(SourceRate.parse("10/s,burst=50")).isEqualTo(new SourceRate(10, Duration.ofSeconds(1), 50));
        assertThat(SourceRate.parse("1/h").period()).isEqualTo(Duration.ofHours(1));
        assertThat(SourceRate.parse("0").limits()).isFalse();
    }

    @Test
    void aSourceRateReadsBackItsOwnText() {
        for (final String text : new String[]{"20/s", "600/m", "10/s,burst=50", "3/h", "0"}) {
            assertThat(SourceRate.parse(text)).hasToString(text);
        }
    }

    @Test
    void badSourceRatesAreRefusedWithOneLineNamingTheInput() {
        assertThatThrownBy(() -> SourceRate.parse("20")).hasMessage(
            "bad source rate '20': expected N/s, N/m or N/h, optionally ,burst=M (e.g. 20/s,burst=50)");
        assertThatThrownBy(() -> SourceRate.parse("20/d")).hasMessageContaining("the period must be s, m or h");
        assertThatThrownBy(() -> SourceRate.parse("x/s")).hasMessageContaining("count 'x' is not a number");
        assertThatThrownBy(() -> SourceRate.parse("5/s,brust=2")).hasMessageContaining("unknown option 'brust=2'");
        assertThatThrownBy(() -> SourceRate.parse("5/s,burst=0")).hasMessageContaining("burst must be 1..");
        assertThatThrownBy(() -> SourceRate.parse("-5/s")).hasMessageContaining("source-rate must be 0..");
    }

    @Test
    void aServerTakesAMaxconnOption() {
        assertThat(ServerConfig.parse("10.0.0.1:80,maxconn=100").maxconn()).isEqualTo(100);
        assertThat(ServerConfig.parse("10.0.0.1:80").maxconn()).isZero();
        assertThat(ServerConfig.parse("10.0.0.1:80,maxconn=0").maxconn()).as("0: no cap, as in a map").isZero();
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,maxconn=-1"))
            .hasMessage("server '10.0.0.1:80,maxconn=-1': maxconn must be 0..10000000, got '-1'");
        assertThatThrownBy(() -> ServerConfig.parse("10.0.0.1:80,maxconn=lots")).hasMessageContaining("got 'lots'");
    }

    @Test
    void listenerLimitsRefuseNegativeCaps() {
        assertThatThrownBy(() -> ListenerLimits.NONE.withMaxconn(-1)).hasMessageContaining("listener-maxconn must be 0..");
        assertThatThrownBy(() -> ListenerLimits.NONE.withSourceMaxconn(-1)).hasMessageContaining("source-maxconn");
        assertThatThrownBy(() -> ListenerLimits.NONE.withSourceTableSize(0)).hasMessageContaining("source-table-size");
    }

    @Test
    void perSourceStateIsKeptOnlyWhenAPerSourceLimitIsSet() {
        assertThat(ListenerLimits.NONE.limitsSources()).isFalse();
        assertThat(ListenerLimits.NONE.withMaxconn(10).limitsSources()).isFalse();
        assertThat(ListenerLimits.NONE.withSourceMaxconn(3).limitsSources()).isTrue();
        assertThat(ListenerLimits.NONE.withSourceRate(SourceRate.parse("5/s")).limitsSources()).isTrue();
    }
}
