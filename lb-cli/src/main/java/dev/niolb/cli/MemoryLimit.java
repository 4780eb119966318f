package dev.niolb.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;

/**
 * The memory the process may use (a container's limit, which the JVM reads from its cgroup; else the host's), and
 * a warning at start when it is less than niolb needs. The container image sizes the heap and the direct memory
 * as shares of the limit, but the JVM itself (code, metaspace, threads, the collector) takes about 100 MiB besides
 * them: under a 128 MiB limit the kernel killed niolb (OOM) under load, every session lost, before niolb could
 * refuse one (black-box testing, session 22). At 256 MiB the same load ran.
 *
 * <p>Threading: the main thread, at start.
 */
final class MemoryLimit {
    /** What niolb needs under load at the container image's shares. */
    static final long NEEDED_BYTES = 256L << 20;
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb");

    private MemoryLimit() {
    }

    /** Logs {@link #warning} for this process's memory, if any. */
    static void warnIfTooSmall() {
        final String line = warning(((com.sun.management.OperatingSystemMXBean)
            ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize());
        if (line != null) {
            LOG.warn("{}", line);
        }
    }

    /** The warning for a process that may use {@code totalBytes}, or null when that is enough. */
    static String warning(final long totalBytes) {
        if (totalBytes <= 0 || totalBytes >= NEEDED_BYTES) {
            return null;
        }
        return "memory: " + (totalBytes >> 20) + " MiB (a container's limit?) is less than the " + (NEEDED_BYTES >> 20)
            + " MiB niolb needs: the JVM itself takes about 100 MiB besides the heap and the relay buffers, and under"
            + " load the kernel would kill niolb (OOM) before it could refuse a session; give it "
            + (NEEDED_BYTES >> 20) + " MiB or more";
    }
}
