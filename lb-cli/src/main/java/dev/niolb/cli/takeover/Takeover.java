package dev.niolb.cli.takeover;

import dev.niolb.HandedOverState;
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
    private final HandedOverState state;
    private boolean stateUnknown;

    private Takeover(final ControlSocket connection, final int[] fds, final HandedOverState state) {
        this.connection = connection;
        this.fds = fds;
        this.state = state;
    }

    /**
     * Asks the niolb listening at {@code path} for its sockets.
     *
     * @throws IOException saying why in words (nothing listens there, it answered something else)
     */
    public static Takeover ask(final Path path, final long pid) throws IOException {
        final Takeover withState = ask(path, pid, true);
        // null: a niolb that knows no "state" ended the exchange; asked again as it expects, it hands over
        if (withState != null) {
            return withState;
        }
        final Takeover plain = ask(path, pid, false);
        plain.stateUnknown = true;
        return plain;
    }

    /**
     * One exchange; with {@code askState}, the sockets and then what the running niolb knows (servers' health, DNS
     * answers), or null when it ended the exchange at that question (a version without it).
     */
    private static Takeover ask(final Path path, final long pid, final boolean askState) throws IOException {
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
                throw new IOException(text.isEmpty() ? "no answer within 10 s (a niolb serves one takeover at a time: "
                    + "it may be busy with another successor's)"
                    : text.startsWith("error ") ? "the running niolb could not hand its sockets over: "
                        + Quoted.line(text.substring("error ".length()))
                    : "unexpected answer: " + Quoted.of(text));
            }
            final int[] fds = rest(connection, answer.fds(), Integer.parseInt(text.substring(4)));
            if (!askState) {
                return new Takeover(connection, fds, HandedOverState.NONE);
            }
            final HandedOverState state;
            try {
                state = state(connection);
            } catch (final IOException | RuntimeException e) {
                closeAll(fds);
                throw e;
            }
            if (state == null) {
                closeAll(fds);
                connection.close();
                return null;
            }
            return new Takeover(connection, fds, state);
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

    /**
     * Asks for the running niolb's state ({@code state N}, then N characters of Base64); null when it answers
     * nothing (it ended the exchange: a version that knows no such question).
     */
    private static HandedOverState state(final ControlSocket connection) throws IOException {
        connection.send("state\n", new int[0]);
        final StringBuilder got = new StringBuilder();
        int length = -1;
        while (length < 0 || got.length() < length) {
            final ControlSocket.Received piece;
            try {
                piece = connection.receive(64 * 1024);
            } catch (final IOException e) {
                if (length < 0) {
                    return null; // it closed or reset at the question
                }
                throw gone(e.getMessage());
            }
            if (piece.text().isEmpty()) {
                if (length < 0) {
                    return null;
                }
                throw new IOException("the running niolb stopped telling its state after " + got.length() + " of "
                    + length + " characters");
            }
            got.append(piece.text());
            if (length < 0) {
                final int end = got.indexOf("\n");
                if (end < 0) {
                    continue;
                }
                final String head = got.substring(0, end);
                if (!head.matches("state \\d{1,9}")) {
                    throw new IOException("unexpected answer: " + Quoted.of(head));
                }
                length = Integer.parseInt(head.substring("state ".length()));
                if (length > HandedOverState.MAX_CHARS) {
                    throw new IOException("a state of " + length + " characters: more than " + HandedOverState.MAX_CHARS);
                }
                got.delete(0, end + 1);
            }
        }
        return HandedOverState.decode(new String(java.util.Base64.getDecoder().decode(got.toString()),
            java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Whether the running niolb, of an earlier version, told nothing of what it knew (asked again without). */
    public boolean stateUnknown() {
        return stateUnknown;
    }

    /** What the running niolb knew (servers' health, DNS answers): {@link HandedOverState#NONE} from an older one. */
    public HandedOverState state() {
        return state;
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

    /**
     * Whether the old niolb still runs, when it did not hear {@link #started}: it gave up waiting (a start past its
     * limit) and serves on, and this one must not serve beside it; else it is gone and this one is all there is.
     */
    public boolean oldOneRuns() {
        return connection.peerRuns();
    }

    @Override
    public void close() {
        connection.close();
    }

    /**
     * Tells the old niolb why this one did not start, then goes away: it keeps serving and logs the reason, where it
     * could say only "it went away" (black-box testing, session 34). Best effort.
     */
    public void failed(final String why) {
        try {
            connection.send("failed " + String.valueOf(why).replace('\n', ' ') + "\n", new int[0]);
        } catch (final IOException | RuntimeException gone) {
            // the old niolb hears the close instead
        }
        close();
    }
}
