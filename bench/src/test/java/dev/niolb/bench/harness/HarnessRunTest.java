package dev.niolb.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The harness end to end, for a few seconds: {@code direct} and {@code niolb} (a child JVM from this test's class
 * path) through throughput, rr and concurrency, one round each; then its {@code summary.md} is read back and each
 * table checked against itself: the figures are there and sane, each ratio is the quotient of the figures it
 * relates, and each CPU-per-operation figure agrees with the CPU % and the rate beside it. With one round a row's
 * figures all come from the same measurement, so these identities hold up to the rounding of the printed digits,
 * which the checks allow for and no more.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HarnessRunTest {
    private static final int IDLE = 200;

    @TempDir
    static Path out;

    private static Map<String, Table> tables;
    private static int exit;

    /** One table of summary.md: its header cells and its rows by target. */
    private record Table(List<String> headers, Map<String, List<String>> rows) {
        String cell(final String target, final int column) {
            return rows.get(target).get(column);
        }

        int column(final String header) {
            final int i = headers.indexOf(header);
            assertThat(i).as("column %s in %s", header, headers).isNotNegative();
            return i;
        }

        double number(final String target, final String header) {
            return parse(cell(target, column(header)));
        }

        /** The ratio in the column right after {@code header} (its ×direct). */
        double ratioAfter(final String target, final String header) {
            final int i = column(header) + 1;
            assertThat(headers.get(i)).isEqualTo("×direct");
            return parse(cell(target, i).replace("×", ""));
        }
    }

    @BeforeAll
    static void aShortRunOfDirectAndNiolb() throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final String niolb = java + " -Xmx256m --add-exports java.base/jdk.internal.misc=ALL-UNNAMED"
            + " --enable-native-access=ALL-UNNAMED -cp " + System.getProperty("java.class.path")
            + " dev.niolb.cli.Main run --listen {listen} {udp-listen} --server {server} --threads {threads}";
        exit = new CommandLine(new Harness()).execute("--targets", "direct,niolb",
            "--scenarios", "throughput,rr,concurrency", "--bulk", "up", "--rr", "max", "--rounds", "1",
            "--warmup", "200ms", "--duration", "1s", "--prewarm", "0ms", "--idle", Integer.toString(IDLE),
            "--hold", "300ms", "--backend", "inprocess", "--niolb-cmd", niolb, "--out", out.toString());
        tables = read(Files.readString(out.resolve("summary.md"), StandardCharsets.UTF_8));
    }

    @Test
    void theRunSucceedsAndWritesItsTablesChartsAndHistograms() {
        assertThat(exit).isZero();
        assertThat(tables).containsOnlyKeys("throughput up", "rr at max rate", "concurrency");
        for (final Table t : tables.values()) {
            assertThat(t.rows()).containsOnlyKeys("direct", "niolb");
            t.rows().values().forEach(cells -> assertThat(cells).hasSameSizeAs(t.headers()));
            assertThat(t.cell("niolb", t.headers().size() - 1)).as("niolb's note: errors").isEmpty();
        }
        assertThat(out.resolve("report.html")).isNotEmptyFile();
        assertThat(out.resolve("rr-max-direct.hgrm")).isNotEmptyFile();
        assertThat(out.resolve("rr-max-niolb.hgrm")).isNotEmptyFile();
    }

    @Test
    void throughputsRatioToDirectIsTheQuotientOfTheTwoRates() {
        final Table t = tables.get("throughput up");
        final double direct = t.number("direct", "Gbit/s");
        final double niolb = t.number("niolb", "Gbit/s");
        assertThat(direct).isPositive();
        assertThat(niolb).isPositive();
        assertThat(t.ratioAfter("direct", "Gbit/s")).isEqualTo(1.0);
        assertRatio(t.ratioAfter("niolb", "Gbit/s"), niolb, direct, 0.005);
    }

    @Test
    void throughputsCpuPerMiBAgreesWithItsCpuPercentAndGbitPerSecond() {
        final Table t = tables.get("throughput up");
        final double cpuPct = t.number("niolb", "proxy CPU %");
        final double gbps = t.number("niolb", "Gbit/s");
        assertCpuPercentSane(cpuPct);
        // µs of CPU per second = cpu% × 10^4; MiB per second = Gbit/s × 10^9 / 8 / 2^20
        final double low = (cpuPct - 0.5) * 1e4 / ((gbps + 0.005) * 1e9 / 8 / Figures.MIB);
        final double high = (cpuPct + 0.5) * 1e4 / ((gbps - 0.005) * 1e9 / 8 / Figures.MIB);
        assertThat(t.number("niolb", "proxy CPU µs/MiB")).isBetween(low - 0.05, high + 0.05);
        assertThat(t.cell("direct", t.column("proxy CPU %"))).as("direct has no process").isEqualTo("—");
    }

    @Test
    void rrsRatioToDirectAndCpuPerRequestAgreeWithItsRatesAndCpuPercent() {
        final Table t = tables.get("rr at max rate");
        final double direct = t.number("direct", "req/s");
        final double niolb = t.number("niolb", "req/s");
        assertThat(direct).isPositive();
        assertThat(niolb).isPositive();
        assertRatio(t.ratioAfter("niolb", "req/s"), niolb, direct, 0.5);
        final double cpuPct = t.number("niolb", "proxy CPU %");
        assertCpuPercentSane(cpuPct);
        final double low = (cpuPct - 0.5) * 1e4 / (niolb + 0.5);
        final double high = (cpuPct + 0.5) * 1e4 / (niolb - 0.5);
        assertThat(t.number("niolb", "proxy CPU µs/req")).isBetween(low - 0.05, high + 0.05);
    }

    @Test
    void rrsPercentilesRiseFromP50ToMax() {
        final Table t = tables.get("rr at max rate");
        for (final String target : List.of("direct", "niolb")) {
            final double p50 = t.number(target, "p50 µs");
            assertThat(p50).isPositive();
            assertThat(t.number(target, "p90 µs")).isGreaterThanOrEqualTo(p50);
            assertThat(t.number(target, "p99 µs")).isGreaterThanOrEqualTo(t.number(target, "p90 µs"));
            assertThat(t.number(target, "p99.9 µs")).isGreaterThanOrEqualTo(t.number(target, "p99 µs"));
            // max is printed with no decimals
            assertThat(t.number(target, "max µs") + 0.5).isGreaterThanOrEqualTo(t.number(target, "p99.9 µs"));
        }
    }

    @Test
    void concurrencyHoldsEveryConnectionAndItsMemoryPerConnectionIsTheRssGrowthOverThem() {
        final Table t = tables.get("concurrency");
        for (final String target : List.of("direct", "niolb")) {
            assertThat(t.number(target, "held")).isEqualTo(IDLE);
            assertThat(t.number(target, "answered")).isEqualTo(IDLE);
        }
        final double before = t.number("niolb", "RSS idle MiB");
        final double held = t.number("niolb", "RSS held MiB");
        assertThat(before).isPositive();
        // each RSS printed to 0.1 MiB: off by at most 0.05 MiB each
        final double growthKiB = (held - before) * 1024;
        final double slack = 0.1 * 1024 / IDLE + 0.005;
        assertThat(t.number("niolb", "KiB/conn")).isBetween(growthKiB / IDLE - slack, growthKiB / IDLE + slack);
        assertThat(t.cell("direct", t.column("KiB/conn"))).isEqualTo("—");
    }

    /** {@code ratio} is {@code a / b}, both printed with {@code half} the last digit's rounding, to 2 decimals. */
    private static void assertRatio(final double ratio, final double a, final double b, final double half) {
        assertThat(ratio).isBetween((a - half) / (b + half) - 0.005, (a + half) / (b - half) + 0.005);
    }

    private static void assertCpuPercentSane(final double cpuPct) {
        assertThat(cpuPct).as("niolb worked in the window").isPositive();
        assertThat(cpuPct).as("no more than every core").isLessThanOrEqualTo(100.0
            * Runtime.getRuntime().availableProcessors() + 0.5);
    }

    private static double parse(final String cell) {
        assertThat(cell).as("a figure").isNotEqualTo("—");
        return Double.parseDouble(cell.replace(",", ""));
    }

    /** The Markdown tables: a {@code ### title} line, text, a header row, a rule, rows. */
    private static Map<String, Table> read(final String markdown) {
        final Map<String, Table> tables = new LinkedHashMap<>();
        String title = null;
        List<String> headers = null;
        Map<String, List<String>> rows = null;
        for (final String line : markdown.lines().toList()) {
            if (line.startsWith("### ")) {
                title = line.substring(4).strip();
                headers = null;
            } else if (title != null && line.startsWith("|")) {
                final List<String> cells = cells(line);
                if (headers == null) {
                    headers = cells;
                    rows = new LinkedHashMap<>();
                    tables.put(title, new Table(headers, rows));
                } else if (!cells.getFirst().startsWith("---")) {
                    rows.put(cells.getFirst(), cells);
                }
            }
        }
        return tables;
    }

    private static List<String> cells(final String line) {
        final List<String> cells = new ArrayList<>();
        for (final String cell : line.substring(1, line.length() - 1).split("(?<!\\\\)\\|", -1)) {
            cells.add(cell.strip());
        }
        return cells;
    }
}
