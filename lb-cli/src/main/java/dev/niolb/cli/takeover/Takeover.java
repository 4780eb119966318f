package dev.niolb.cli.takeover;

import dev.niolb.config.Quoted;

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
        final int me = ControlSocket.effectiveUid();
        final Object owner = Files.exists(path) ? Files.getAttribute(path, "unix:uid",
            java.nio.file.LinkOption.NOFOLLOW_LINKS) : null;
        if (me != 0 && owner instanceof Integer uid && uid != me) {
            // the niolb there refuses another user's connection by its credentials: said here, not "broken pipe"
            // (black-box testing, session 32)
            throw new IOException("its niolb runs as uid " + Integer.toUnsignedString(uid) + " and this one as uid "
                + Integer.toUnsignedString(me) + ": only the same user, or root, may take its sockets over");
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
            if (!text.matches("fds \\d{1,6}") || Integer.parseInt(text.substring(4)) < answer.fds().length) {
                closeAll(answer.fds());
                throw new IOException(text.isEmpty() ? "no answer"
                    : text.startsWith("error ") ? "the running niolb could not hand its sockets over: "
                        + Quoted.line(text.substring("error ".length()))
                    : "unexpected answer: " + Quoted.of(text));
            }
            return new Takeover(connection, rest(connection, answer.fds(), Integer.parseInt(text.substring(4))));
        } catch (final IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
    }

    /** {@code first} and the batches that follow ({@code +} each) until {@code total} descriptors came. */
    private static int[] rest(final ControlSocket connection, final int[] first, final int total) throws IOException {
        int[] fds = first;
        while (fds.length < total) {
            final ControlSocket.Received more;
            try {
                more = connection.receive(256);
            } catch (final IOException e) {
                closeAll(fds);
                throw gone(e.getMessage());
            }
            fds = ControlSocket.concat(fds, more.fds());
            if (!more.text().strip().equals("+") || more.fds().length == 0 || fds.length > total) {
                closeAll(fds);
                throw new IOException("the running niolb stopped handing its sockets over after " + fds.length
                    + " of " + total);
            }
        }
        return fds;
    }

    private static void closeAll(final int[] fds) {
        for (final int fd : fds) {
            ControlSocket.close(fd);
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
