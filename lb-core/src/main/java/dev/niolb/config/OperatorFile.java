package dev.niolb.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A file an operator names (the config, the admin token, the state file), read whole but never more than a bound,
 * and a named pipe only where the caller allows one.
 *
 * <p>Why: read with no bound, a path that is a link to {@code /dev/zero} ended niolb with an OutOfMemoryError at
 * start; and opening a named pipe (FIFO) for reading waits for a writer for ever, in a call nothing can interrupt,
 * so a reload of a config that became a FIFO never answered and kept a thread blocked (black-box testing, session
 * 20). What is read again while niolb runs (a reload's config) refuses a pipe before opening it; what is read
 * once at start may be one, as a secret passed with {@code --admin-token-file <(…)} is, given {@link #PIPE_WAIT}.
 *
 * <p>Threadsafe: stateless.
 */
public final class OperatorFile {
    /** {@code S_IFMT} and {@code S_IFIFO} of {@code st_mode}. */
    private static final int S_IFMT = 0170000;
    private static final int S_IFIFO = 0010000;
    /** How long a named pipe, where one is allowed, has to reach its end of file. */
    static final Duration PIPE_WAIT = Duration.ofSeconds(10);

    private OperatorFile() {
    }

    /**
     * The bytes of {@code path}, at most {@code maxBytes}; a named pipe only with {@code pipeToo}.
     *
     * @throws IOException with a message for one line: "no such file", "permission denied", "a named pipe (FIFO),
     *                     not a file", "a directory, not a file", "larger than N", or the system's own
     */
    public static byte[] read(final Path path, final int maxBytes, final boolean pipeToo) throws IOException {
        return read(path, maxBytes, pipeToo, PIPE_WAIT, () -> false);
    }

    /**
     * As {@link #read(Path, int, boolean)}, a pipe read given up as soon as {@code abandon} says so (a stop asked
     * for while niolb starts).
     *
     * @throws java.io.InterruptedIOException when it was given up
     */
    public static byte[] read(final Path path, final int maxBytes, final boolean pipeToo,
                              final java.util.function.BooleanSupplier abandon) throws IOException {
        return read(path, maxBytes, pipeToo, PIPE_WAIT, abandon);
    }

    /** As {@link #read(Path, int, boolean)}, a named pipe given {@code pipeWait} to reach its end. */
    static byte[] read(final Path path, final int maxBytes, final boolean pipeToo, final Duration pipeWait)
        throws IOException {
        return read(path, maxBytes, pipeToo, pipeWait, () -> false);
    }

    private static byte[] read(final Path path, final int maxBytes, final boolean pipeToo, final Duration pipeWait,
                               final java.util.function.BooleanSupplier abandon) throws IOException {
        if (isPipe(path)) {
            if (!pipeToo) {
                throw new IOException("a named pipe (FIFO), not a file");
            }
            return readPipe(path, maxBytes, pipeWait, abandon);
        }
        if (Files.isDirectory(path)) {
            throw new IOException("a directory, not a file"); // else the JDK's "Is a directory", capital and all
        }
        try (InputStream in = Files.newInputStream(path)) {
            return bounded(in, maxBytes);
        } catch (final NoSuchFileException e) {
            throw new IOException("no such file", e);
        } catch (final AccessDeniedException e) {
            throw new IOException("permission denied", e);
        }
    }

    private static byte[] bounded(final InputStream in, final int maxBytes) throws IOException {
        final byte[] bytes = in.readNBytes(maxBytes + 1);
        if (bytes.length > maxBytes) {
            throw new IOException("larger than " + size(maxBytes));
        }
        return bytes;
    }

    /**
     * A named pipe, read by a thread of its own for at most {@code wait}: its open waits for a writer, in a call
     * nothing interrupts, and a writer may never close it. A FIFO no process wrote to hung {@code niolb check} and
     * {@code run} with no word (black-box testing, session 27). Past the wait, the thread is interrupted (which
     * ends a read: the channel closes) and the pipe opened read-write and closed again (which ends an open still
     * waiting: Linux lets a read-write open of a FIFO return at once, and it counts as the writer the other
     * waits for), so the thread ends too.
     */
    private static byte[] readPipe(final Path path, final int maxBytes, final Duration wait,
                                   final java.util.function.BooleanSupplier abandon) throws IOException {
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        final Thread reader = Thread.ofPlatform().daemon().name("niolb-pipe-reader").start(() -> {
            try (FileChannel pipe = FileChannel.open(path, StandardOpenOption.READ)) {
                result.complete(bounded(Channels.newInputStream(pipe), maxBytes));
            } catch (final Throwable e) {
                result.completeExceptionally(e);
            }
        });
        final long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (true) {
                final long left = deadline - System.nanoTime();
                try {
                    return result.get(Math.min(left, SLICE_NANOS), TimeUnit.NANOSECONDS);
                } catch (final TimeoutException e) {
                    if (abandon.getAsBoolean()) {
                        release(reader, path);
                        throw new java.io.InterruptedIOException("given up: a stop was asked for");
                    }
                    if (left <= SLICE_NANOS) {
                        release(reader, path);
                        throw new IOException("a named pipe (FIFO) that no process wrote to the end within "
                            + (wait.toMillis() % 1000 == 0 ? wait.toSeconds() + " s" : wait.toMillis() + " ms"));
                    }
                }
            }
        } catch (final ExecutionException e) {
            final Throwable cause = e.getCause();
            if (cause instanceof NoSuchFileException) {
                throw new IOException("no such file", cause);
            }
            if (cause instanceof AccessDeniedException) {
                throw new IOException("permission denied", cause);
            }
            throw cause instanceof IOException io ? io : new IOException(cause);
        } catch (final InterruptedException e) {
            reader.interrupt();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while reading a named pipe");
        }
    }

    /** How often a pipe read looks whether it is to be given up. */
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    /** Ends the reader thread: interrupted in a read; in an open, by a writer that comes and goes at once. */
    private static void release(final Thread reader, final Path path) {
        reader.interrupt();
        try {
            FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE).close();
        } catch (final IOException ignored) {
            // gone meanwhile: then nothing waits on it either
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
        if (e instanceof java.nio.channels.ClosedByInterruptException) {
            return "interrupted (niolb is stopping)";
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

    /** Whether {@code path} is a pipe, named or not ({@code <(…)}), which a read may wait on for its writer. */
    public static boolean isPipe(final Path path) {
        try {
            final Object mode = Files.getAttribute(path, "unix:mode"); // follows links
            return mode instanceof Integer m && (m & S_IFMT) == S_IFIFO;
        } catch (final IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false; // no such file, or no unix view: the open says what is wrong
        }
    }
}
