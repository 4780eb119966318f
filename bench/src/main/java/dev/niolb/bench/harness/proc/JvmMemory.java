package dev.niolb.bench.harness.proc;

import com.sun.tools.attach.VirtualMachine;

import javax.management.MBeanServerConnection;
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
     * @param heapUsedBytes   heap in use right after a full collection: the live objects
     * @param directUsedBytes memory of the JVM's direct {@code ByteBuffer}s
     */
    public record Sample(long heapUsedBytes, long directUsedBytes) {
    }

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
                return Optional.of(new Sample(memory.getHeapMemoryUsage().getUsed(), direct.getMemoryUsed()));
            }
        } catch (final Exception | java.util.ServiceConfigurationError e) {
            return Optional.empty(); // e.g. a broken resolver provider on our classpath: no sample, not a crash
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
