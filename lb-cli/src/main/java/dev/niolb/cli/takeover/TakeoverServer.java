package dev.niolb.cli.takeover;

import dev.niolb.HandedOverState;
import dev.niolb.LoadBalancer;
import dev.niolb.config.Quoted;
import dev.niolb.log.LinePace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;

/**
 * The running niolb's side of a takeover ({@code --control-socket PATH}): a Unix stream socket, mode 0600, where a
 * new niolb started with {@code --takeover PATH} asks for the listening sockets. The exchange, one line each way:
 *
 * <pre>
 * new: takeover PID          old: fds N   (with the N descriptors, SCM_RIGHTS, in batches: see sendAll)
 * new: started               (it listens on them)   old: stops accepting, lets its sessions finish, exits 0
 * </pre>
 *
 * Until {@code started} both processes accept on the same sockets; when the new one fails before it (a bad
 * config, a port it could not bind), the old one keeps serving and says so.
 *
 * <p>Threading: one daemon thread of its own ({@code niolb-control}) accepts and serves one takeover at a time.
 */
public final class TakeoverServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    /** How long a new niolb may take from receiving the sockets to saying it started (a JVM, a config, a bind). */
    private static final int START_TIMEOUT_MS = 120_000;
    /** How long a successor may take to start after it has the sockets: {@link #START_TIMEOUT_MS}, less in tests. */
    private volatile int startTimeoutMs = START_TIMEOUT_MS;

    private Path path;
    private final Object fileKey;
    private final ControlSocket listening;
    private final LinePace foreignLines = new LinePace(10_000,
        n -> LOG.warn("control socket {}: {} more connections from other users refused since the last one logged, "
            + "not logged one by one", this.path, n));
    private final LoadBalancer lb;
    private final Runnable takenOver;
    private final Thread thread;
    /** Where it listens until {@link #activate} moves it to {@link #path}; null when it listens there already. */
    private Path staged;

    private TakeoverServer(final Path path, final Path staged, final ControlSocket listening, final LoadBalancer lb,
                           final Runnable takenOver) throws IOException {
        this.path = path;
        this.staged = staged;
        this.listening = listening;
        this.lb = lb;
        this.takenOver = takenOver;
        this.fileKey = Files.readAttributes(staged != null ? staged : path,
            java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        this.thread = Thread.ofPlatform().daemon().name("niolb-control").unstarted(this::serve);
    }

    /**
     * Listens at {@code path}, serving from {@link #activate}: a socket file left by a niolb that is gone is
     * replaced; one where a niolb still answers is refused, and so is a file that is not a socket. When
     * {@code replacing} (this process is taking over the niolb listening at {@code path}), it listens at a
     * sibling path first and {@link #activate} renames it into place, so that a start that fails before telling
     * the old niolb leaves the old one's control socket where it was.
     *
     * @param takenOver what to do once a new niolb has started on the sockets: stop this one
     */
    public static TakeoverServer prepare(final Path path, final LoadBalancer lb, final boolean replacing,
                                         final Runnable takenOver) throws IOException {
        final Path at;
        if (replacing) {
            at = staged(path);
            Files.deleteIfExists(at);
        } else {
            at = path;
            if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (!isSocket(path)) {
                    throw new IOException(path + " exists and is not a socket: give another path");
                }
                if (answers(path)) {
                    // asking whether it is a niolb would be a takeover request: say what is known
                    throw new IOException("a process listens on the control socket " + path
                        + " already (if it is a niolb, take its sockets over with --takeover " + path + ")");
                }
                Files.delete(path);
            }
        }
        final ControlSocket listening = ControlSocket.listen(at);
        try {
            Files.setPosixFilePermissions(at, PosixFilePermissions.fromString("rw-------"));
            return new TakeoverServer(path, replacing ? at : null, listening, lb, takenOver);
        } catch (final IOException | RuntimeException e) {
            listening.close();
            Files.deleteIfExists(at);
            throw e;
        }
    }

    /**
     * What {@link #prepare} would find wrong with {@code path} before anything binds, or null: a path too long for
     * a Unix socket, a directory that is not there, a file that is not a socket. Checked before the listeners start
     * so that such a mistake is one line and nothing served meanwhile (black-box testing, session 28: found only
     * after "listening on").
     */
    public static String problem(final Path path, final boolean replacing) {
        final int bytes = (replacing ? staged(path) : path).toString()
            .getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > dev.niolb.cli.log.UnixDatagramSocket.MAX_PATH_BYTES) {
            return "a Unix socket's path is at most " + dev.niolb.cli.log.UnixDatagramSocket.MAX_PATH_BYTES
                + " bytes, and this one " + (replacing ? "(with the suffix it is "
                + "staged under) " : "") + "is " + bytes + ": give a shorter one";
        }
        final Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            return "no such directory " + parent;
        }
        try {
            if (!replacing && Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !isSocket(path)) {
                return path + " exists and is not a socket: give another path";
            }
            // another niolb's: found after "listening on", the listeners had taken clients and were dropped
            // (black-box testing, session 31)
            if (!replacing && Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS) && answers(path)) {
                return "a process listens on the control socket " + path + " already (if it is a niolb, take its "
                    + "sockets over with --takeover " + path + ")";
            }
        } catch (final IOException e) {
            return e.getMessage();
        }
        return null;
    }

    /** Where a successor listens until {@link #activate} renames its socket over the old one's at {@code path}. */
    private static Path staged(final Path path) {
        return path.resolveSibling(path.getFileName() + ".new-" + ProcessHandle.current().pid());
    }

    /** Moves the socket into place if it was staged, and serves takeovers from now on. */
    public void activate() throws IOException {
        if (staged != null) {
            Files.move(staged, path, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            staged = null;
        }
        thread.start();
    }

    private static boolean isSocket(final Path path) throws IOException {
        final int mode = (Integer) Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        return (mode & 0170000) == 0140000; // S_IFSOCK
    }

    private static boolean answers(final Path path) {
        try (ControlSocket ignored = ControlSocket.connect(path)) {
            return true;
        } catch (final IOException gone) {
            return false;
        }
    }

    private void serve() {
        while (true) {
            final ControlSocket connection;
            try {
                connection = listening.accept();
            } catch (final IOException closed) {
                return; // closed: this niolb is stopping
            }
            try (connection) {
                if (foreign(connection)) {
                    continue;
                }
                if (handOver(connection)) {
                    return;
                }
            } catch (final IOException | RuntimeException e) {
                LOG.warn("takeover over {} failed: {}; this niolb keeps serving", path, e.getMessage());
            }
        }
    }

    /**
     * Whether the connection comes from a process of another user, which is refused (and logged) before it is
     * read: only this user and root may take the listening sockets over. The socket file's mode says as much, but
     * it is set once the socket listens, and a connection made before that was served (black-box testing, session
     * 32: under umask 000 another user's process was handed the listening sockets and accepted niolb's clients).
     */
    private boolean foreign(final ControlSocket connection) throws IOException {
        final ControlSocket.Peer peer = connection.peer();
        if (peer.uid() == ControlSocket.effectiveUid() || peer.uid() == 0) {
            return false;
        }
        // at most one line per interval, with a count, as other refusals are (any local user that could connect
        // could otherwise write the disk full: black-box testing, session 32)
        if (foreignLines.due(System.nanoTime() / 1_000_000)) {
            LOG.warn("control socket {}: refused a connection from pid {} of uid {}: only uid {} (niolb's) and root "
                + "may take its sockets over{}", path, peer.pid(), Integer.toUnsignedString(peer.uid()),
                Integer.toUnsignedString(ControlSocket.effectiveUid()), foreignLines.leftOutSaid("refused"));
        }
        return true;
    }

    /** One exchange; true when the new niolb started and this one is to stop. */
    private boolean handOver(final ControlSocket connection) throws IOException {
        connection.timeout(10_000);
        final String request = connection.receive(256).text().strip();
        if (request.isEmpty()) {
            LOG.debug("control socket {}: a connection that asked nothing (a niolb checking the path is in use)", path);
            return false;
        }
        if (!request.matches("takeover \\d+")) {
            LOG.warn("control socket {}: not a takeover request: {}", path, Quoted.of(request));
            return false;
        }
        final String pid = request.substring("takeover ".length());
        // the successor reads the state file once it has the sockets: a change made here from now on would be lost
        lb.operatorChanges().close("pid " + pid, startTimeoutMs / 1000);
        boolean started = false;
        try {
            final List<String> ended = lb.endRetiringUdpFlows(); // their sockets would keep the successor from binding
            if (!ended.isEmpty()) {
                LOG.info("takeover: ended the flows of UDP listeners a reload removed, so that their addresses are "
                    + "free for niolb pid {}: {}", pid, String.join(", ", ended));
            }
            final int[] fds = lb.listeningDescriptors();
            try {
                sendAll(connection, fds);
            } catch (final IOException | RuntimeException e) {
                tellWhy(connection, e);
                throw e;
            }
            LOG.info("takeover: handed {} listening {} to niolb pid {}; serving on them too until it has started "
                + "(the admin API refuses changes meanwhile)", fds.length, fds.length == 1 ? "socket" : "sockets", pid);
            final int limitMs = startTimeoutMs;
            connection.timeout(limitMs);
            final long askedAt = System.nanoTime();
            String answer = connection.receive(256).text().strip();
            if (answer.equals("state")) { // a successor that can start from what this one knows (session 34)
                final HandedOverState state = HandedOverState.of(lb);
                sendState(connection, state.encode());
                LOG.info("takeover: told niolb pid {} of {} servers' health and {} DNS names' servers", pid,
                    state.servers().size(), state.dns().size());
                answer = connection.receive(256).text().strip();
            }
            if (!answer.equals("started")) {
                // quoted: the peer's text, not ours, must not forge a log line (black-box testing, session 34).
                // Silence past the limit from a process that still runs is no "went away": it is stuck, holds the
                // sockets it was handed and maybe some of its own, and ends itself if it wakes (session 35)
                final boolean stuck = answer.isEmpty()
                    && System.nanoTime() - askedAt >= Math.max(0, limitMs - 1000) * 1_000_000L && connection.peerRuns();
                LOG.warn("takeover: niolb pid {} did not start ({}); this niolb keeps serving", pid,
                    stuck ? "no word within " + limitMs / 1000 + " s, and it still runs: end it (kill -9 if "
                        + "it is stopped); should it resume, it stops itself"
                    : answer.isEmpty() ? "it went away" : answer.startsWith("failed ")
                        ? "it failed: " + Quoted.of(answer.substring("failed ".length())) : "it said " + Quoted.of(answer));
                return false;
            }
            started = true;
        } finally {
            if (!started) {
                lb.operatorChanges().open();
            }
        }
        LOG.info("takeover: niolb pid {} serves on the listening sockets now; stopping this one", pid);
        takenOver.run();
        return true;
    }

    /** A shorter limit for a successor's start, for tests of a stuck one. */
    void startTimeout(final int ms) {
        this.startTimeoutMs = ms;
    }

    /**
     * {@code fds N} with the first descriptors, then {@code +} with each further batch: a message carries at most
     * {@value ControlSocket#MAX_FDS} ({@code SCM_MAX_FD}), and listeners × threads may be more (black-box testing,
     * session 28: 4 listeners on 64 threads could not be taken over). A receiver reads one batch per read: the
     * kernel never joins two messages that carry descriptors.
     */
    private static void sendAll(final ControlSocket connection, final int[] fds) throws IOException {
        int at = Math.min(fds.length, ControlSocket.MAX_FDS);
        connection.send("fds " + fds.length + "\n", java.util.Arrays.copyOfRange(fds, 0, at));
        while (at < fds.length) {
            final int end = Math.min(fds.length, at + ControlSocket.MAX_FDS);
            connection.send("+\n", java.util.Arrays.copyOfRange(fds, at, end));
            at = end;
        }
    }

    /**
     * {@code state N} and then N characters: the state's UTF-8 in Base64, so that a receiver reading it in pieces
     * never splits a character. Over {@link HandedOverState#MAX_CHARS}, {@code state 0}: a head start, not a need.
     */
    private static void sendState(final ControlSocket connection, final String text) throws IOException {
        final String encoded = java.util.Base64.getEncoder().encodeToString(
            text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (encoded.length() > HandedOverState.MAX_CHARS) {
            connection.send("state 0\n", new int[0]);
            return;
        }
        connection.send("state " + encoded.length() + "\n" + encoded, new int[0]);
    }

    /** Tells the new niolb why nothing comes, so that it says more than "no answer"; best effort. */
    private static void tellWhy(final ControlSocket connection, final Exception e) {
        try {
            connection.send("error " + String.valueOf(e.getMessage()).replace('\n', ' ') + "\n", new int[0]);
        } catch (final IOException | RuntimeException gone) {
            // the new niolb went away: it says so itself
        }
    }

    /**
     * Stops listening and removes the socket file unless another niolb has put its own there since. After a
     * takeover use {@link #closeForSuccessor}: the successor replaces the file, and a check-then-delete here could
     * race with it and delete the successor's.
     */
    @Override
    public void close() {
        listening.close();
        try {
            if (Objects.equals(fileKey, Files.readAttributes(staged != null ? staged : path,
                java.nio.file.attribute.BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey())) {
                Files.delete(staged != null ? staged : path);
            }
        } catch (final IOException goneOrReplaced) {
            // nothing of ours left there
        }
    }

    /** Stops listening and leaves the path to the niolb that took this one's sockets over. */
    public void closeForSuccessor() {
        listening.close();
    }
}
