package dev.niolb.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.niolb.bench.harness.load.Load;
import dev.niolb.bench.harness.report.Row;
import dev.niolb.bench.harness.target.Target;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class UnitsAndAggregationTest {

    @Test
    void durationsAndSizesReadAsPeopleWriteThem() {
        assertThat(Units.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Units.duration("2s")).isEqualTo(Duration.ofSeconds(2));
        assertThat(Units.duration("1.5s")).isEqualTo(Duration.ofMillis(1500));
        assertThat(Units.duration("1m")).isEqualTo(Duration.ofMinutes(1));
        assertThat(Units.duration("3")).isEqualTo(Duration.ofSeconds(3));
        assertThat(Units.size("64")).isEqualTo(64);
        assertThat(Units.size("128k")).isEqualTo(128 * 1024);
        assertThat(Units.size("1M")).isEqualTo(1024 * 1024);
    }

    @Test
    void roundsAggregateToTheMedianFigureAndAllRoundsLatencies() {
        final Target nginx = new Target("nginx", Target.Role.PEER, new InetSocketAddress(1), null, 1, null);
        final Histogram a = Load.newHistogram();
        a.recordValue(10_000);
        final Histogram b = Load.newHistogram();
        b.recordValue(20_000);
        final Row row = ScenarioRunner.aggregate(nginx, List.of(
            new Measurement("nginx", Map.of("rate", 300.0), a, "", false),
            new Measurement("nginx", Map.of("rate", 100.0), b, "2 errors", false),
            new Measurement("nginx", Map.of("rate", 200.0), null, "", false)));
        assertThat(row.value("rate")).isEqualTo(200.0);
        assertThat(row.value("max")).isBetween(19.9, 20.1);
        assertThat(row.value("p50")).isBetween(9.9, 10.1);
        assertThat(row.note()).isEqualTo("2 errors");
        assertThat(ScenarioRunner.median(List.of(1.0, 4.0))).isEqualTo(2.5);
    }

    @Test
    void theQuickProfileFitsInFiveMinutesForFourTargets() {
        final Settings quick = Settings.quick();
        final double perRun = quick.warmup().toMillis() + quick.duration().toMillis() + 300;
        final int windowedVariants = quick.bulkDirections().size() + quick.rrModes().size() + 1 /* connrate */ + 1 /* udp */;
        final double seconds = 4 * windowedVariants * quick.rounds() * perRun / 1000 + 4 * 15 /* concurrency */ + 20 /* start */;
        assertThat(seconds).isLessThan(300);
    }
}
