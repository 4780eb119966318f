package dev.niolb.bench.harness.report;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Writes a run's results into its output directory: {@code summary.md} (tables ready to paste into
 * docs/BENCHMARKS.md), {@code report.html} (the tables and one latency-percentile SVG chart per latency
 * scenario, each also alone as {@code ID.svg}), and one {@code .hgrm} per target and latency scenario (HdrHistogram's percentile
 * distribution, in microseconds). Stateless.
 */
public final class ReportWriter {

    /** The latency histograms of one scenario variant, by target, in legend order. */
    public record Chart(String id, String title, Map<String, Histogram> histograms) {
    }

    private ReportWriter() {
    }

    public static void write(final Path dir, final String header, final List<ResultTable> tables,
                             final List<Chart> charts) throws IOException {
        Files.createDirectories(dir);
        writeHistograms(dir, charts);
        for (Chart chart : charts) {
            Files.writeString(dir.resolve(chart.id() + ".svg"), LatencyChart.svg(chart.title(), chart.histograms()),
                StandardCharsets.UTF_8);
        }
        Files.writeString(dir.resolve("summary.md"), markdown(header, tables), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("report.html"), html(header, tables, charts), StandardCharsets.UTF_8);
    }

    /** {@code ID-TARGET.hgrm} for each chart and target; values in microseconds. */
    public static void writeHistograms(final Path dir, final List<Chart> charts) throws IOException {
        for (Chart chart : charts) {
            for (Map.Entry<String, Histogram> entry : chart.histograms().entrySet()) {
                if (entry.getValue() == null) {
                    continue;
                }
                final Path file = dir.resolve(chart.id() + "-" + entry.getKey().replaceAll("[^A-Za-z0-9._-]", "_") + ".hgrm");
                try (PrintStream out = new PrintStream(Files.newOutputStream(file), false, StandardCharsets.UTF_8)) {
                    entry.getValue().outputPercentileDistribution(out, 5, 1000.0);
                }
            }
        }
    }

    public static String markdown(final String header, final List<ResultTable> tables) {
        final StringBuilder out = new StringBuilder(header.strip()).append("\n\n");
        tables.forEach(table -> out.append(table.toMarkdown()));
        return out.toString();
    }

    public static String html(final String header, final List<ResultTable> tables, final List<Chart> charts) {
        final StringBuilder out = new StringBuilder("""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>niolb bench</title>
            <style>
            body { font-family: sans-serif; margin: 2em; color: #222; }
            table { border-collapse: collapse; margin: 1.5em 0; font-size: 13px; }
            caption { text-align: left; font-weight: bold; padding-bottom: .4em; }
            caption small { font-weight: normal; color: #555; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
            td.l, th:first-child { text-align: left; }
            pre { background: #f6f6f6; padding: 1em; white-space: pre-wrap; }
            .charts svg { margin: 0 1em 1em 0; border: 1px solid #eee; }
            </style></head><body>
            <h1>niolb bench</h1>
            """);
        out.append("<pre>").append(Html.escape(header.strip())).append("</pre>\n");
        out.append("<h2>Latency by percentile</h2>\n<div class=charts>\n");
        for (Chart chart : charts) {
            out.append(LatencyChart.svg(chart.title(), chart.histograms()));
        }
        out.append("</div>\n<h2>Tables</h2>\n");
        tables.forEach(table -> out.append(table.toHtml()));
        return out.append("</body></html>\n").toString();
    }
}
