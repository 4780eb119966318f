package dev.niolb.bench.harness.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.niolb.bench.harness.report.Column.Better;
import dev.niolb.bench.harness.target.Target.Role;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResultTableTest {

    private static final Column RATE = Column.ratios("rate", "req/s", 0, Better.HIGHER);
    private static final Column P99 = Column.ratios("p99", "p99 µs", 1, Better.LOWER);
    private static final Column CPU = Column.peerRatio("cpu", "CPU µs/req", 1, Better.LOWER);

    private static ResultTable table() {
        return new ResultTable("rr-max", "rr at max rate", "1 connection", List.of(RATE, P99, CPU), List.of(
            new Row("direct", Role.DIRECT, Map.of("rate", 40_000.0, "p99", 40.0), ""),
            new Row("niolb", Role.SUBJECT, Map.of("rate", 20_000.0, "p99", 70.0, "cpu", 10.0), ""),
            new Row("haproxy", Role.PEER, Map.of("rate", 12_000.0, "p99", 90.0, "cpu", 18.0), ""),
            new Row("nginx", Role.PEER, Map.of("rate", 16_000.0, "p99", 100.0, "cpu", 20.0), "3 errors")));
    }

    @Test
    void ratiosAreToDirectAndToTheBestPeerInEachColumnsDirection() {
        final ResultTable table = table();
        final Row niolb = table.rows().get(1);
        assertThat(table.ratioToDirect(niolb, RATE)).isEqualTo(0.5);
        // higher is better: the best peer is nginx at 16,000
        assertThat(table.ratioToBestPeer(niolb, RATE)).isCloseTo(1.25, within(1e-9));
        // lower is better: the best peer is haproxy at 90
        assertThat(table.ratioToBestPeer(niolb, P99)).isCloseTo(70.0 / 90.0, within(1e-9));
        assertThat(table.ratioToBestPeer(niolb, CPU)).isCloseTo(10.0 / 18.0, within(1e-9));
        assertThat(table.ratioToDirect(niolb, P99)).isEqualTo(1.75);
    }

    @Test
    void aMissingFigureOrReferenceGivesNoRatio() {
        final ResultTable table = table();
        final Row direct = table.rows().getFirst();
        assertThat(table.ratioToBestPeer(direct, CPU)).isNaN();
        final ResultTable noPeers = new ResultTable("x", "x", "", List.of(RATE), List.of(table.rows().getFirst()));
        assertThat(noPeers.ratioToBestPeer(direct, RATE)).isNaN();
        assertThat(noPeers.bestPeer(RATE)).isEmpty();
    }

    @Test
    void numbersAndRatiosAreFormattedForPeople() {
        assertThat(ResultTable.number(12_345.678, 1)).isEqualTo("12,345.7");
        assertThat(ResultTable.number(0.5, 0)).isEqualTo("1");
        assertThat(ResultTable.number(Double.NaN, 2)).isEqualTo("—");
        assertThat(ResultTable.ratio(0.8)).isEqualTo("0.80×");
        assertThat(ResultTable.ratio(1.0 / 3)).isEqualTo("0.33×");
        assertThat(ResultTable.ratio(Double.POSITIVE_INFINITY)).isEqualTo("—");
    }

    @Test
    void eachRatioColumnFollowsItsFigure() {
        assertThat(table().headers()).containsExactly("target", "req/s", "×direct", "×best peer", "p99 µs", "×direct",
            "×best peer", "CPU µs/req", "×best peer", "note");
        assertThat(table().cells().get(1)).containsExactly("niolb", "20,000", "0.50×", "1.25×", "70.0", "1.75×",
            "0.78×", "10.0", "0.56×", "");
        assertThat(table().cells().getFirst()).contains("—");
    }

    @Test
    void theTextTableAlignsItsColumns() {
        final List<String> lines = table().toText().lines().toList();
        assertThat(lines.getFirst()).isEqualTo("== rr at max rate ==");
        assertThat(lines.get(1)).isEqualTo("1 connection");
        final int width = lines.get(3).length();
        assertThat(lines.get(3)).matches("[- ]+");
        // every row's figures end where the header's do: right-aligned
        final int rateEnd = lines.get(2).indexOf("req/s") + "req/s".length();
        for (String row : lines.subList(4, lines.size())) {
            assertThat(row.charAt(rateEnd - 1)).isBetween('0', '9');
            assertThat(row.length()).isLessThanOrEqualTo(width + "3 errors".length());
        }
    }

    @Test
    void theMarkdownTableHasAHeadingARightAlignedRuleAndOneLinePerTarget() {
        final List<String> lines = table().toMarkdown().lines().toList();
        assertThat(lines.getFirst()).isEqualTo("### rr at max rate");
        final int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("| target")).findFirst().orElseThrow());
        assertThat(lines.get(header + 1)).startsWith("| --- | ---: |").endsWith("| --- |");
        assertThat(lines.get(header + 3)).startsWith("| niolb | 20,000 | 0.50× | 1.25× |");
        assertThat(lines.get(header + 5)).endsWith("| 3 errors |");
    }

    @Test
    void theHtmlTableEscapesItsText() {
        final ResultTable table = new ResultTable("x", "a <b> & c", "", List.of(RATE),
            List.of(new Row("direct", Role.DIRECT, Map.of("rate", 1.0), "x<y")));
        assertThat(table.toHtml()).contains("a &lt;b&gt; &amp; c").contains("x&lt;y").doesNotContain("<b>");
    }
}
