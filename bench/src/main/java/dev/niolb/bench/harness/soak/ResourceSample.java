package dev.niolb.bench.harness.soak;

import dev.niolb.bench.harness.proc.JvmMemory;
import dev.niolb.bench.harness.proc.ProcessTree;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a process holds at one moment: open descriptors ({@code /proc/PID/fd}), threads ({@code /proc/PID/task},
 * not counting the threads of the JMX agent the sample itself attaches), resident memory, and for a JVM the
 * heap in use right after a full collection and its direct buffers (over JMX, {@link JvmMemory}; -1 when the
 * process is not a JVM we may attach to).
 *
 * @param fds             open file descriptors
 * @param threads         threads, without the JMX agent's ({@code RMI *}, {@code JMX *}, {@code Attach Listener})
 * @param rssKiB          resident set size
 * @param heapAfterGc     heap in use after a full collection, bytes; -1 unknown
 * @param directBytes     direct buffer memory, bytes; -1 unknown
 */
record ResourceSample(long fds, long threads, long rssKiB, long heapAfterGc, long directBytes) {

    /** The cheap part only (no attach, no collection): for sampling during the load. */
    static ResourceSample light(final long pid) {
        return new ResourceSample(count(pid, "fd"), threads(pid), ProcessTree.residentKiB(pid).orElse(-1L), -1, -1);
    }

    /** Everything: descriptors and threads first (before the attach adds its own), then memory after a GC. */
    static ResourceSample full(final long pid) {
        final ResourceSample light = light(pid);
        final Optional<JvmMemory.Sample> memory = JvmMemory.sample(pid);
        return new ResourceSample(light.fds, light.threads, ProcessTree.residentKiB(pid).orElse(-1L),
            memory.map(JvmMemory.Sample::heapUsedBytes).orElse(-1L),
            memory.map(JvmMemory.Sample::directUsedBytes).orElse(-1L));
    }

    private static long count(final long pid, final String dir) {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), dir))) {
            long n = 0;
            for (final Path ignored : entries) {
                n++;
            }
            return n;
        } catch (final IOException e) {
            return -1;
        }
    }

    private static long threads(final long pid) {
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            long n = 0;
            for (final Path task : tasks) {
                final String name;
                try {
                    name = Files.readString(task.resolve("comm")).strip();
                } catch (final IOException gone) {
                    continue; // the thread ended while we looked
                }
                if (!isAgentThread(name)) {
                    n++;
                }
            }
            return n;
        } catch (final IOException e) {
            return -1;
        }
    }

    /** Threads the JMX agent starts for our samples (names as the kernel keeps them: 15 characters). */
    static boolean isAgentThread(final String name) {
        return name.startsWith("RMI ") || name.startsWith("JMX ") || name.equals("Attach Listener");
    }
}
