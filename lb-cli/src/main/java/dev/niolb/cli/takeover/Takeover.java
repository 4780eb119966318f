package dev.niolb.cli.takeover;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The new niolb's side of a takeover ({@code --takeover PATH}): asks the niolb at {@code PATH} for its listening
 * sockets, and once listening on them tells it to stop ({@link #started}). See {@link TakeoverServer}.
 *
 * <p>Threading: the main thread, at start-up.
 */
public final class Takeover implements AutoCloseable {
    private final ControlSocket connection;
    private final int[] fds;

    private Takeover(final ControlSocket connection, final int[] fds) {
        this.connection = connection;
        this.fds = fds;
    }

    /**
     * Asks the niolb listening at {@code path} for its sockets.
     *
     * @throws IOException saying why in words (nothing listens there, it answered something else)
     */
    public static Takeover ask(final Path path, final long pid) throws IOException {
        if (Files.isRegularFile(path) || Files.isDirectory(path)) {
            throw new IOException(path + " is not a socket: give the --control-socket path of the running niolb");
        }
        final ControlSocket connection = ControlSocket.connect(path);
        try {
            connection.timeout(10_000);
            connection.send("takeover " + pid + "\n", new int[0]);
            final ControlSocket.Received answer;
            try {
                answer = connection.receive(256);
            } catch (final IOException e) {
                throw gone(e.getMessage());
            }
            final String text = answer.text().strip();
            if (!text.matches("fds \\d+") || Integer.parseInt(text.substring(4)) != answer.fds().length) {
                for (final int fd : answer.fds()) {
                    ControlSocket.close(fd);
                }
                throw new IOException(text.isEmpty() ? "no answer" : "unexpected answer: " + text);
            }
            return new Takeover(connection, answer.fds());
        } catch (final IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /**
     * The other side reset the exchange before handing anything over: most often a niolb that another successor
     * took over first (it serves one takeover at a time, then stops and closes the control socket, resetting the
     * connections still waiting there).
     */
    private static IOException gone(final String how) {
        return new IOException(how + " before handing its sockets over (another niolb may have taken it over first)");
    }

    /** The listening sockets handed over (this process's own descriptors for them). */
    public int[] fds() {
        return fds.clone();
    }

    /** Tells the old niolb that this one listens: it stops accepting and drains. */
    public void started() throws IOException {
        connection.send("started\n", new int[0]);
    }

    @Override
    public void close() {
        connection.close();
    }
}
