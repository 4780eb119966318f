package dev.niolb.bench.harness.report;

import dev.niolb.bench.harness.target.Target;
import java.util.Map;

/**
 * One target's figures in a result table; a missing figure is absent from {@code values} (or NaN).
 *
 * @param note shown at the end of the row (errors, a skip reason), or empty
 */
public record Row(String target, Target.Role role, Map<String, Double> values, String note) {

    public Row {
        values = Map.copyOf(values);
        note = note == null ? "" : note;
    }

    public double value(final String key) {
        final Double value = values.get(key);
        return value == null ? Double.NaN : value;
    }
}
