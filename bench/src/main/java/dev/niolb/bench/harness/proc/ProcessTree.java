package dev.niolb.bench.harness.proc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A process and its descendants, read from {@code /proc}: nginx is a master and its workers, niolb
 * may be a launcher script and its JVM. CPU time and resident memory are summed over the tree, so a
 * proxy's figure counts every process it runs. Stateless; each call reads {@code /proc} afresh.
 */
public final class ProcessTree {

    private static final Path PROC = Path.of("/proc");

    private ProcessTree() {
    }

    /** The process and every descendant alive now, the root first; empty when the root is gone. */
    public static List<Long> members(final long rootPid) {
        if (ProcStat.read(rootPid).isEmpty()) {
            return List.of();
        }
        final Map<Long, List<Long>> children = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, "[0-9]*")) {
            for (Path entry : entries) {
                ProcStat.read(entry.resolve("stat"))
                    .ifPresent(stat -> children.computeIfAbsent(stat.ppid(), k -> new ArrayList<>()).add(stat.pid()));
            }
        } catch (IOException e) {
            return List.of(rootPid);
        }
        final List<Long> members = new ArrayList<>();
        final Deque<Long> queue = new ArrayDeque<>();
        queue.add(rootPid);
        while (!queue.isEmpty()) {
            final long pid = queue.removeFirst();
            members.add(pid);
            queue.addAll(children.getOrDefault(pid, List.of()));
        }
        return members;
    }

    /** User plus system CPU ticks summed over the tree (live processes only). */
    public static long cpuTicks(final long rootPid) {
        long ticks = 0;
        for (long pid : members(rootPid)) {
            ticks += ProcStat.read(pid).map(ProcStat::cpuTicks).orElse(0L);
        }
        return ticks;
    }

    /** Resident set size ({@code VmRSS} of {@code /proc/PID/status}) summed over the tree, in KiB. */
    public static long rssKiB(final long rootPid) {
        long kib = 0;
        for (long pid : members(rootPid)) {
            kib += residentKiB(pid).orElse(0L);
        }
        return kib;
    }

    /** {@code VmRSS} of one process in KiB; empty when the process is gone or is a zombie. */
    public static Optional<Long> residentKiB(final long pid) {
        try {
            for (String line : Files.readAllLines(PROC.resolve(Long.toString(pid)).resolve("status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Optional.of(Long.parseLong(line.substring(6).strip().split("\\s+")[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
