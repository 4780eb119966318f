package dev.niolb.cli.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Whether standard output goes to the systemd journal.
 *
 * <p>systemd sets {@code JOURNAL_STREAM=DEV:INODE} for a service whose stdout or stderr is connected to the
 * journal. A child process may inherit the variable with its output sent elsewhere, so, as systemd.exec(5) asks,
 * the variable counts only when it names the device and inode of our own stdout or stderr. Where {@code /proc}
 * cannot tell (not Linux), the variable alone decides.
 */
public final class JournalStream {
    private JournalStream() {
    }

    /** For this process: {@code JOURNAL_STREAM} against file descriptors 1 and 2. */
    public static boolean connected() {
        return connected(System.getenv("JOURNAL_STREAM"),
            Path.of("/proc/self/fd/1"), Path.of("/proc/self/fd/2"));
    }

    static boolean connected(final String journalStream, final Path... outputs) {
        if (journalStream == null || journalStream.isBlank()) {
            return false;
        }
        boolean known = false;
        for (final Path output : outputs) {
            final String id = deviceAndInode(output);
            if (id != null) {
                known = true;
                if (id.equals(journalStream.strip())) {
                    return true;
                }
            }
        }
        return !known;
    }

    /** {@code DEV:INODE} as systemd writes it (both decimal), or null when it cannot be read. */
    static String deviceAndInode(final Path file) {
        try {
            final Map<String, Object> a = Files.readAttributes(file, "unix:dev,ino");
            return Long.toUnsignedString((Long) a.get("dev")) + ":" + Long.toUnsignedString((Long) a.get("ino"));
        } catch (final IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return null;
        }
    }
}
