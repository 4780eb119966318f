package dev.niolb.bench.harness.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.niolb.bench.harness.load.Load;
import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LatencyChartTest {

    @Test
    void theChartDrawsOneCurvePerTargetOnALogPercentileAxis() {
        final Map<String, Histogram> histograms = new LinkedHashMap<>();
        final Histogram fast = Load.newHistogram();
        final Histogram slow = Load.newHistogram();
        for (int i = 1; i <= 10_000; i++) {
            fast.recordValue(10_000 + i);
            slow.recordValue(50_000 + 10L * i);
        }
        histograms.put("direct", fast);
        histograms.put("nginx", slow);
        histograms.put("haproxy", null);
        final String svg = LatencyChart.svg("rr <max>", histograms);
        assertThat(svg).startsWith("<svg").endsWith("</svg>\n");
        assertThat(svg.split("<polyline", -1)).hasSize(3);
        assertThat(svg).contains(">direct<", ">nginx<", "99.9%", "99.99%", "rr &lt;max&gt;").doesNotContain(">haproxy<");
    }

    @Test
    void theCurveClimbsToTheMaximumAtTheLastNine() {
        final Histogram histogram = Load.newHistogram();
        for (int i = 1; i <= 1000; i++) {
            histogram.recordValue(i * 1000L);
        }
        final double[][] curve = LatencyChart.curve(histogram);
        assertThat(curve[0][0]).isZero();
        assertThat(curve[curve.length - 1][0]).isEqualTo(3.0);
        assertThat(curve[curve.length - 1][1]).isEqualTo(histogram.getMaxValue() / 1000.0);
        for (int i = 1; i < curve.length; i++) {
            assertThat(curve[i][1]).isGreaterThanOrEqualTo(curve[i - 1][1]);
        }
    }
}
