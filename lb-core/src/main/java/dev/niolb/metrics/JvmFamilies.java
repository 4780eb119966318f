package dev.niolb.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The standard {@code jvm_*} and {@code process_*} families (memory and its pools, GC, threads, classes, buffer
 * pools, CPU time, open and maximum file descriptors, resident memory, start time), from the Prometheus Java
 * client's JVM instrumentation and written by its text writer: the same names, units and labels as every other
 * Java service a Prometheus scrapes, so their dashboards fit niolb too.
 *
 * <p>One registry for the process, made on first use: the families describe the JVM, not an engine, and the
 * client's GC listeners are registered once however many engines a JVM runs (tests run many).
 *
 * <p>Threading: any thread (an admin request); a scrape reads MXBeans and {@code /proc/self}, never a relay loop.
 */
public final class JvmFamilies {
    private JvmFamilies() {
    }

    private static final class Holder {
        static final PrometheusRegistry REGISTRY = new PrometheusRegistry();
        static final PrometheusTextFormatWriter WRITER =
            PrometheusTextFormatWriter.builder().setIncludeCreatedTimestamps(false).build();

        static {
            JvmMetrics.builder().register(REGISTRY);
        }
    }

    /** The families now, in the text format version 0.0.4. */
    public static String scrape() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
        try {
            Holder.WRITER.write(out, Holder.REGISTRY.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (final IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
