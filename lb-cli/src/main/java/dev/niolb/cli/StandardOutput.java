package dev.niolb.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Standard output that remembers why a write failed. {@link PrintStream} keeps only that one did, so {@code niolb
 * check > effective.yaml} on a full disk left a cut-off file and exited 0; with the reason, a command can say so
 * and exit 1, and still stay quiet when the reader has gone ({@code | head -1}: EPIPE, which GNU tools end on by
 * SIGPIPE, silently).
 *
 * <p>Threading: installed by {@code main} before anything writes; read once at the exit.
 */
final class StandardOutput extends OutputStream {
    /** errno EPIPE's message as the JDK gives it. */
    private static final String BROKEN_PIPE = "Broken pipe";

    private final OutputStream out = new FileOutputStream(FileDescriptor.out);
    private volatile IOException failure;

    private StandardOutput() {
    }

    /** Replaces {@code System.out} with one over this stream; returns the stream, to ask after a failure. */
    static StandardOutput install() {
        final StandardOutput stream = new StandardOutput();
        System.setOut(new PrintStream(stream, true, StandardCharsets.UTF_8));
        return stream;
    }

    @Override
    public void write(final int b) throws IOException {
        try {
            out.write(b);
        } catch (final IOException e) {
            throw remembered(e);
        }
    }

    @Override
    public void write(final byte[] b, final int off, final int len) throws IOException {
        try {
            out.write(b, off, len);
        } catch (final IOException e) {
            throw remembered(e);
        }
    }

    private IOException remembered(final IOException e) {
        if (failure == null) {
            failure = e;
        }
        return e;
    }

    /**
     * Why writing failed, as a line's end ("No space left on device"); null when every write went out, or when
     * the only failure was a reader that went away.
     */
    String failure() {
        System.out.flush();
        final IOException e = failure;
        return e == null || BROKEN_PIPE.equals(e.getMessage()) ? null : String.valueOf(e.getMessage());
    }
}
