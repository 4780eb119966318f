package dev.niolb.bench.harness.soak;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SoakReportTest {
    private static final ResourceSample START = new ResourceSample(30, 25, 100_000, 10L << 20, 1L << 20);

    private static SoakReport judge(final Tally tally, final ResourceSample end) {
        return SoakReport.judge("test", tally, START, end, end, SoakReport.Tolerances.DEFAULTS, List.of(), List.of());
    }

    @Test
    void resourcesBackAtTheirStartLevelWithNothingLostPass() {
        final Tally tally = new Tally();
        tally.longSessions.ok.add(10);
        tally.longSessions.cut.add(2);
        final SoakReport report = judge(tally, new ResourceSample(31, 25, 120_000, 11L << 20, 1L << 20));
        assertThat(report.passed()).isTrue();
        assertThat(report.text()).contains("verdict: PASS", "| open fds ", "| direct memory ");
    }

    @Test
    void descriptorsLeftOpenBeyondTheToleranceFail() {
        final SoakReport report = judge(new Tally(), new ResourceSample(40, 25, 100_000, 10L << 20, 1L << 20));
        assertThat(report.passed()).isFalse();
        assertThat(report.failures()).singleElement().asString().startsWith("open fds: 30 at the start, 40 at the end");
    }

    @Test
    void directMemoryThatDidNotComeBackFails() {
        final SoakReport report = judge(new Tally(), new ResourceSample(30, 25, 100_000, 10L << 20, 64L << 20));
        assertThat(report.failures()).singleElement().asString().startsWith("direct memory:");
    }

    @Test
    void aSingleLostByteFails() {
        final Tally tally = new Tally();
        tally.lostBytes.add(1);
        tally.shortSessions.failed.increment();
        final SoakReport report = judge(tally, START);
        assertThat(report.failures()).containsExactly("1 bytes lost in healthy TCP sessions",
            "1 TCP sessions failed with no server stop to explain it");
        assertThat(report.text()).contains("verdict: FAIL");
    }

    @Test
    void aMemoryThatCouldNotBeReadFailsRatherThanPasses() {
        final SoakReport report = judge(new Tally(), new ResourceSample(30, 25, 100_000, -1, -1));
        assertThat(report.passed()).isFalse();
        assertThat(report.text()).contains("UNKNOWN");
    }
}
