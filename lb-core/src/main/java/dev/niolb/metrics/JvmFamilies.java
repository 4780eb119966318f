package dev.niolb.metrics;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmBufferPoolMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmClassLoadingMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmCompilationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmGarbageCollectorMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmMemoryPoolAllocationMetrics;
import io.prometheus.metrics.instrumentation.jvm.JvmRuntimeInfoMetric;
import io.prometheus.metrics.instrumentation.jvm.JvmThreadsMetrics;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

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
            // JvmMetrics less its native memory families: those ask the platform MBean server, whose start loads
            // JFR (a "[warning][jfr] Could not access .jfc-files … Too many open files" in niolb's log when the first
            // scrape came out of descriptors: black-box testing, session 33) and is empty anyway without
            // -XX:NativeMemoryTracking, which the launcher does not set
            JvmThreadsMetrics.builder().register(REGISTRY);
            JvmBufferPoolMetrics.builder().register(REGISTRY);
            JvmClassLoadingMetrics.builder().register(REGISTRY);
            JvmCompilationMetrics.builder().register(REGISTRY);
            JvmGarbageCollectorMetrics.builder().register(REGISTRY);
            JvmMemoryPoolAllocationMetrics.builder().register(REGISTRY);
            JvmMemoryMetrics.builder().register(REGISTRY);
            JvmRuntimeInfoMetric.builder().register(REGISTRY);
            ProcessMetrics.builder().register(REGISTRY);
        }
    }

    /**
     * The families now, in the text format version 0.0.4. Written on a platform thread: the client's text writer
     * writes through a {@link java.io.BufferedWriter}, which on a virtual thread (the admin API's) starts at 512
     * chars and grows by what each write needs, copying its array every time: 16 MB of garbage per scrape against
     * 0.18 on a platform thread, and a heap (RSS) grown by hundreds of MB over a hundred scrapes (black-box
     * testing, session 24).
     */
    public static String scrape() {
        if (!Thread.currentThread().isVirtual()) {
            return write();
        }
        try {
            return Writer.THREAD.submit(JvmFamilies::write).get();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the JVM's metrics were written", e);
        } catch (final ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** One daemon thread for every scrape from a virtual thread, made on first use. */
    private static final class Writer {
        static final ExecutorService THREAD = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().daemon().name("niolb-jvm-metrics").factory());
    }

    private static String write() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
        try {
            Holder.WRITER.write(out, Holder.REGISTRY.scrape(), EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (final IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
