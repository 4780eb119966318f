package dev.niolb.bench.harness.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.niolb.bench.harness.load.Load;
import dev.niolb.bench.harness.target.Target.Role;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {

    @TempDir
    Path dir;

    @Test
    void aRunWritesMarkdownHtmlSvgAndOneHgrmPerTarget() throws Exception {
        final Histogram histogram = Load.newHistogram();
        for (int i = 1; i <= 1000; i++) {
            histogram.recordValue(20_000 + i);
        }
        final Map<String, Histogram> histograms = new LinkedHashMap<>();
        histograms.put("direct", histogram);
        histograms.put("niolb", histogram);
        final ResultTable table = new ResultTable("rr-max", "rr at max rate", "", List.of(
            Column.ratios("rate", "req/s", 0, Column.Better.HIGHER)), List.of(
            new Row("direct", Role.DIRECT, Map.of("rate", 10.0), ""),
            new Row("niolb", Role.SUBJECT, Map.of("rate", 5.0), "")));

        ReportWriter.write(dir, "machine: test", List.of(table), List.of(new ReportWriter.Chart("rr-max", "rr", histograms)));

        assertThat(Files.readString(dir.resolve("summary.md"))).startsWith("machine: test").contains("### rr at max rate");
        assertThat(Files.readString(dir.resolve("report.html"))).contains("<svg", "<table>", "machine: test");
        assertThat(Files.readString(dir.resolve("rr-max.svg"))).startsWith("<svg");
        // HdrHistogram's percentile distribution, scaled to microseconds
        assertThat(Files.readString(dir.resolve("rr-max-niolb.hgrm"))).contains("Value     Percentile TotalCount")
            .contains("#[Max     =       21.00");
        assertThat(dir.resolve("rr-max-direct.hgrm")).exists();
    }
}
