package dev.niolb.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A file an operator names (the config, the admin token, the state file), read whole but never more than a bound,
 * and a named pipe only where the caller allows one.
 *
 * <p>Why: read with no bound, a path that is a link to {@code /dev/zero} ended niolb with an OutOfMemoryError at
 * start; and opening a named pipe (FIFO) for reading waits for a writer for ever, in a call nothing can interrupt,
 * so a reload of a config that became a FIFO never answered and kept a thread blocked (black-box testing, session
 * 20). What is read again while niolb runs (a reload's config) refuses a pipe before opening it; what is read
 * once at start may be one, as a secret passed with {@code --admin-token-file <(…)} is.
 *
 * <p>Threadsafe: stateless.
 */
public final class OperatorFile {
    /** {@code S_IFMT} and {@code S_IFIFO} of {@code st_mode}. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;

    private OperatorFile() {
    }

    /**
     * The bytes of {@code path}, at most {@code maxBytes}; a named pipe only with {@code pipeToo}.
     *
     * @throws IOException with a message for one line: "no such file", "permission denied", "a named pipe (FIFO),
     *                     not a file", "a directory, not a file", "larger than N", or the system's own
     */
    public static byte[] read(final Path path, final int maxBytes, final boolean pipeToo) throws IOException {
        if (!pipeToo && isNamedPipe(path)) {
            throw new IOException("a named pipe (FIFO), not a file");
        }
        if (Files.isDirectory(path)) {
            throw new IOException("a directory, not a file"); // else the JDK's "Is a directory", capital and all
        }
        try (InputStream in = Files.newInputStream(path)) {
            final byte[] bytes = in.readNBytes(maxBytes + 1);
            if (bytes.length > maxBytes) {
                throw new IOException("larger than " + size(maxBytes));
            }
            return bytes;
        } catch (final NoSuchFileException e) {
            throw new IOException("no such file", e);
        } catch (final AccessDeniedException e) {
            throw new IOException("permission denied", e);
        }
    }

    /**
     * Why a file operation failed, in words for one log line: "permission denied", "no such directory", the
     * system's reason; never the exception's class name.
     */
    public static String reason(final Exception e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such directory";
        }
        if (e instanceof FileSystemException f && "Is a directory".equals(f.getReason())) {
            return "a directory, not a file"; // as read says it
        }
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason().toLowerCase(Locale.ROOT);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static String size(final int bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes % 1024 == 0 ? (bytes >> 10) + " KiB"
            : bytes + " bytes";
    }

    private static boolean isNamedPipe(final Path path) {
        try {
            final Object mode = Files.getAttribute(path, "unix:mode"); // follows links
            return mode instanceof Integer m && (m & S_IFMT) == S_IFIFO;
        } catch (final IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false; // no such file, or no unix view: the open says what is wrong
        }
    }
}
