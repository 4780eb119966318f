package dev.niolb.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The harness's formulas against synthetic inputs whose answers are worked out by hand. */
class FiguresTest {
    private static final double EXACT = 1e-9;

    @Test
    void twoAndAHalfBillionBytesInTwoSecondsAreTenGbitPerSecond() {
        assertThat(Figures.gbitPerSecond(2_500_000_000L, 2.0)).isCloseTo(10.0, within(EXACT));
        // decimal giga, not 2^30: 1 GiB in one second is 8.59 Gbit/s
        assertThat(Figures.gbitPerSecond(1L << 30, 1.0)).isCloseTo(8.589934592, within(EXACT));
    }

    @Test
    void operationsPerSecondDivideByTheWindowNotTheRunTime() {
        assertThat(Figures.perSecond(30_000, 1.5)).isCloseTo(20_000.0, within(EXACT));
    }

    @Test
    void clockTicksBecomeMicrosecondsAtTheKernelsRate() {
        assertThat(Figures.cpuMicros(150, 100)).isCloseTo(1_500_000.0, within(EXACT)); // 150 ticks at 100 Hz: 1.5 s
        assertThat(Figures.cpuMicros(150, 250)).isCloseTo(600_000.0, within(EXACT)); // at 250 Hz: 0.6 s
        assertThat(Figures.cpuMicros(0, 100)).isZero();
    }

    @Test
    void cpuPercentIsOneCoreBusyForTheWholeWindowAtAHundred() {
        assertThat(Figures.cpuPercent(Figures.cpuMicros(150, 100), 2.0)).isCloseTo(75.0, within(EXACT));
        assertThat(Figures.cpuPercent(2_000_000, 1.0)).as("two cores busy").isCloseTo(200.0, within(EXACT));
        assertThat(Figures.cpuPercent(0, 2.0)).isZero();
    }

    @Test
    void cpuPerOperationIsCpuMicrosecondsOverTheOperations() {
        // 1 s of CPU for 250,000 requests: 4 µs each
        assertThat(Figures.cpuMicrosPerOperation(1_000_000, 250_000)).isCloseTo(4.0, within(EXACT));
    }

    @Test
    void cpuPerMiBIsCpuMicrosecondsOverTheMebibytesMoved() {
        // 0.5 s of CPU while 100 MiB (104,857,600 bytes) went through: 5,000 µs per MiB
        assertThat(Figures.cpuMicrosPerMiB(500_000, 100L * 1024 * 1024)).isCloseTo(5_000.0, within(EXACT));
        // and not per million bytes: 100,000,000 bytes are 95.37 MiB
        assertThat(Figures.cpuMicrosPerMiB(500_000, 100_000_000)).isCloseTo(5_242.88, within(EXACT));
    }

    @Test
    void memoryPerConnectionIsTheGrowthOverTheConnectionsHeld() {
        // RSS 100 MiB idle, 110 MiB holding 10,000 connections: 10 MiB / 10,000 = 1.024 KiB each
        assertThat(Figures.kibPerConnection(102_400, 112_640, 10_000)).isCloseTo(1.024, within(EXACT));
        assertThat(Figures.kibPerConnection(102_400, 102_400, 10_000)).isZero();
        // heap 40 MB → 43 MB over 1,000 connections: 3,000 B each
        assertThat(Figures.bytesPerConnection(40_000_000, 43_000_000, 1_000)).isCloseTo(3_000.0, within(EXACT));
        assertThat(Figures.mib(112_640)).isCloseTo(110.0, within(EXACT));
    }
}
