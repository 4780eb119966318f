package dev.niolb.bench.harness;

import dev.niolb.bench.harness.report.Column;
import java.util.List;

/**
 * One measured shape of a scenario: {@code throughput} up or both ways, {@code rr} at max or fixed rate,
 * and so on; each becomes one table and, when it records latency, one chart.
 *
 * @param id short name used for files ({@code rr-max})
 * @param mode the scenario's parameter ({@code up}, {@code max}...), or empty
 */
public record Variant(String id, Scenario scenario, String mode, String title, String settings,
                      List<Column> columns, boolean latency) {

    /** The five scenarios. */
    public enum Scenario { THROUGHPUT, RR, CONNRATE, CONCURRENCY, UDP }
}
