package dev.niolb.admin;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;

/**
 * A socket's input with one deadline for everything read until it is moved: each read waits at most what is left
 * ({@code SO_TIMEOUT}), so a client that sends a byte now and then cannot stretch a phase, and the phase's end is
 * a {@link SocketTimeoutException} the connection can answer (408), not a close that tells the client nothing.
 *
 * <p>Threading: the connection's thread.
 */
final class DeadlineInput extends InputStream {
    private final Socket socket;
    private final InputStream in;
    private long deadlineNanos;
    private long bytes;
    private final byte[] one = new byte[1];

    DeadlineInput(final Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
    }

    /** Reads from now on must be done within {@code nanos}. */
    void within(final long nanos) {
        deadlineNanos = System.nanoTime() + nanos;
    }

    /** Bytes read so far. */
    long bytes() {
        return bytes;
    }

    @Override
    public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(final byte[] b, final int off, final int len) throws IOException {
        final long left = deadlineNanos - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        // SO_TIMEOUT 0 is forever: at least a millisecond
        socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left / 1_000_000)));
        final int n = in.read(b, off, len);
        if (n > 0) {
            bytes += n;
        }
        return n;
    }
}
