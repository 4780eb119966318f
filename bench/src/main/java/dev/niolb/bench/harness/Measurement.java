package dev.niolb.bench.harness;

import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * One target's figures from one round of one scenario variant.
 *
 * @param latency nanosecond latencies recorded in the window, or null
 * @param note a skip reason or errors, or empty
 * @param skipped true when the target was not measured (the note says why)
 */
public record Measurement(String target, Map<String, Double> values, Histogram latency, String note, boolean skipped) {

    public Measurement {
        values = Map.copyOf(values);
        note = note == null ? "" : note;
    }

    static Measurement skipped(final String target, final String reason) {
        return new Measurement(target, Map.of(), null, reason, true);
    }
}
