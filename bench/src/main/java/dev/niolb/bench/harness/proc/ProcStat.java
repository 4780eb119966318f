package dev.niolb.bench.harness.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The fields the harness needs from one {@code /proc/PID/stat} line: the parent and the CPU time the
 * process has used (user and system, in clock ticks; for a multi-threaded process the kernel sums them
 * over all its threads). See proc(5).
 *
 * <p>The command name (field 2) is in parentheses and may itself hold spaces and parentheses, so the
 * remaining fields are counted from the last {@code ')'}.
 */
public record ProcStat(long pid, String comm, char state, long ppid, long utimeTicks, long stimeTicks) {

    /** User plus system time in clock ticks. */
    public long cpuTicks() {
        return utimeTicks + stimeTicks;
    }

    /**
     * Parses one stat line.
     *
     * @throws IllegalArgumentException if the line is not a stat line
     */
    public static ProcStat parse(final String line) {
        final int open = line.indexOf('(');
        final int close = line.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + line);
        }
        final long pid = Long.parseLong(line.substring(0, open).strip());
        final String comm = line.substring(open + 1, close);
        // fields 3.. after the command: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime
        final String[] rest = line.substring(close + 1).strip().split(" +");
        if (rest.length < 13) {
            throw new IllegalArgumentException("short /proc/PID/stat line: " + line);
        }
        return new ProcStat(pid, comm, rest[0].charAt(0), Long.parseLong(rest[1]),
            Long.parseLong(rest[11]), Long.parseLong(rest[12]));
    }

    /** Reads {@code /proc/PID/stat}; empty when the process is gone. */
    public static Optional<ProcStat> read(final long pid) {
        return read(Path.of("/proc", Long.toString(pid), "stat"));
    }

    static Optional<ProcStat> read(final Path file) {
        try {
            return Optional.of(parse(Files.readString(file).strip()));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
