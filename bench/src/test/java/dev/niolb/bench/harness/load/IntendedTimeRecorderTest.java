package dev.niolb.bench.harness.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class IntendedTimeRecorderTest {

    private static final long MS = 1_000_000L;
    private static final LoadWindow ALWAYS = new LoadWindow(0, 0, Long.MAX_VALUE);

    @Test
    void latencyIsTakenFromTheIntendedSendTimeWhenAStallDelaysLaterRequests() {
        final Histogram corrected = Load.newHistogram();
        final Histogram uncorrected = Load.newHistogram();
        final IntendedTimeRecorder recorder = new IntendedTimeRecorder(0, MS, ALWAYS, corrected, uncorrected);

        // request 0 is meant to go at 0 and stalls for 10 ms
        assertThat(recorder.nextSendTime(0)).isZero();
        recorder.completed(0, 10 * MS);
        // request 1 was meant to go at 1 ms; the client could only send it at 10 ms, and it took 0.1 ms
        assertThat(recorder.nextSendTime(10 * MS)).isEqualTo(MS);
        recorder.completed(10 * MS, 10 * MS + MS / 10);
        // request 2 was meant for 2 ms
        assertThat(recorder.nextSendTime(10 * MS + MS / 10)).isEqualTo(2 * MS);
        recorder.completed(10 * MS + MS / 10, 10 * MS + 2 * MS / 10);

        assertThat(corrected.getTotalCount()).isEqualTo(3);
        assertThat(corrected.valuesAreEquivalent(corrected.getMaxValue(), 10 * MS)).isTrue();
        assertThat(corrected.valuesAreEquivalent(corrected.getMinValue(), 8 * MS + 2 * MS / 10)).isTrue();
        assertThat(corrected.getCountAtValue(9 * MS + MS / 10)).isEqualTo(1);
        // what the naive recorder would have seen: one slow request and two fast ones
        assertThat(uncorrected.valuesAreEquivalent(uncorrected.getMinValue(), MS / 10)).isTrue();
        assertThat(uncorrected.getValueAtPercentile(50)).isLessThan(MS);
        assertThat(corrected.getValueAtPercentile(50)).isGreaterThan(8 * MS);
    }

    @Test
    void aClientOnScheduleRecordsTheSameInBothHistograms() {
        final Histogram corrected = Load.newHistogram();
        final Histogram uncorrected = Load.newHistogram();
        final IntendedTimeRecorder recorder = new IntendedTimeRecorder(5 * MS, MS, ALWAYS, corrected, uncorrected);
        for (int i = 0; i < 5; i++) {
            final long intended = recorder.nextSendTime(0);
            assertThat(intended).isEqualTo(5 * MS + i * MS);
            recorder.completed(intended, intended + 50_000);
        }
        assertThat(corrected.getTotalCount()).isEqualTo(5);
        assertThat(corrected.getMean()).isEqualTo(uncorrected.getMean());
    }

    @Test
    void atMaxRateARequestIsMeantToGoWhenItIsSent() {
        final Histogram corrected = Load.newHistogram();
        final Histogram uncorrected = Load.newHistogram();
        final IntendedTimeRecorder recorder = new IntendedTimeRecorder(0, 0, ALWAYS, corrected, uncorrected);
        assertThat(recorder.nextSendTime(7 * MS)).isEqualTo(7 * MS);
        recorder.completed(7 * MS, 7 * MS + 30_000);
        assertThat(corrected.getMaxValue()).isEqualTo(uncorrected.getMaxValue());
        assertThat(corrected.valuesAreEquivalent(corrected.getMaxValue(), 30_000)).isTrue();
    }

    @Test
    void requestsMeantForTheWarmUpAreNotRecorded() {
        final Histogram corrected = Load.newHistogram();
        final IntendedTimeRecorder recorder = new IntendedTimeRecorder(0, MS, new LoadWindow(0, 2 * MS, 100 * MS),
            corrected, Load.newHistogram());
        recorder.completed(0, MS / 2);          // intended at 0: warm-up
        recorder.completed(MS, MS + MS / 2);    // intended at 1 ms: warm-up
        recorder.completed(2 * MS, 2 * MS + 1); // intended at 2 ms: measured
        assertThat(corrected.getTotalCount()).isEqualTo(1);
    }

    @Test
    void aNegativeIntervalIsRefused() {
        assertThatThrownBy(() -> new IntendedTimeRecorder(0, -1, ALWAYS, Load.newHistogram(), Load.newHistogram()))
            .isInstanceOf(IllegalArgumentException.class);
    }
}
