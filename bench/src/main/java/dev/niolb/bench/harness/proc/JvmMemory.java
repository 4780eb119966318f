package dev.niolb.bench.harness.proc;

import com.sun.tools.attach.VirtualMachine;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Live heap and direct-buffer memory of another JVM on this machine, read over JMX after attaching to it (the
 * Attach API starts its local management agent: the target needs no flags). Used to tell what a proxy that
 * is a JVM spends per connection beyond what RSS shows (RSS of a JVM moves with heap sizing, not with use).
 *
 * <p>Not threadsafe; one sample at a time.
 */
public final class JvmMemory {
    private JvmMemory() {
    }

    /**
     * @param heapUsedBytes   heap in use right after a full collection, as the collector counts it: the live
     *                        objects and, for a collector that compacts only sparse regions (ZGC counts whole
     *                        2 MiB pages), the garbage between them
     * @param directUsedBytes memory of the JVM's direct {@code ByteBuffer}s
     * @param liveBytes       the bytes of every live object, from a class histogram (which collects first);
     *                        -1 when the target would not give one
     */
    public record Sample(long heapUsedBytes, long directUsedBytes, long liveBytes) {
    }

    private static final String DIAGNOSTIC_COMMAND = "com.sun.management:type=DiagnosticCommand";

    /**
     * Collects garbage in the target, then reads its memory; empty when it is not a JVM we may attach to.
     * Any other process is left alone: HotSpot's attach mechanism signals the target with SIGQUIT, which stops
     * nginx and kills most programs, so only a process that has {@code libjvm.so} mapped is attached to.
     */
    public static Optional<Sample> sample(final long pid) {
        if (!isJvm(pid)) {
            return Optional.empty();
        }
        try {
            final VirtualMachine vm = VirtualMachine.attach(Long.toString(pid));
            final String address;
            try {
                address = vm.startLocalManagementAgent();
            } finally {
                vm.detach();
            }
            try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
                final MBeanServerConnection server = connector.getMBeanServerConnection();
                final MemoryMXBean memory = ManagementFactory.newPlatformMXBeanProxy(server,
                    ManagementFactory.MEMORY_MXBEAN_NAME, MemoryMXBean.class);
                memory.gc();
                final BufferPoolMXBean direct = ManagementFactory.newPlatformMXBeanProxy(server,
                    "java.nio:type=BufferPool,name=direct", BufferPoolMXBean.class);
                final long live = liveBytes(server);
                return Optional.of(new Sample(memory.getHeapMemoryUsage().getUsed(), direct.getMemoryUsed(), live));
            }
        } catch (final Exception | java.util.ServiceConfigurationError e) {
            return Optional.empty(); // e.g. a broken resolver provider on our classpath: no sample, not a crash
        }
    }

    /** The "Total" bytes of {@code jcmd PID GC.class_histogram}, asked over JMX; -1 when it cannot be had. */
    private static long liveBytes(final MBeanServerConnection server) {
        try {
            final Object text = server.invoke(new ObjectName(DIAGNOSTIC_COMMAND), "gcClassHistogram",
                new Object[] {new String[0]}, new String[] {String[].class.getName()});
            return histogramTotal(String.valueOf(text));
        } catch (final Exception e) {
            return -1;
        }
    }

    /** The bytes column of a class histogram's last line, {@code Total <instances> <bytes>}; -1 if there is none. */
    static long histogramTotal(final String histogram) {
        final String[] lines = histogram.strip().split("\\R");
        final String[] last = lines[lines.length - 1].trim().split("\\s+");
        if (last.length < 3 || !last[0].equals("Total")) {
            return -1;
        }
        try {
            return Long.parseLong(last[2]);
        } catch (final NumberFormatException e) {
            return -1;
        }
    }

    /** Whether {@code pid} is a running HotSpot JVM (has {@code libjvm.so} mapped). */
    static boolean isJvm(final long pid) {
        try (Stream<String> maps = Files.lines(Path.of("/proc", Long.toString(pid), "maps"))) {
            return maps.anyMatch(line -> line.endsWith("/libjvm.so"));
        } catch (final IOException | UncheckedIOException e) {
            return false;
        }
    }
}
