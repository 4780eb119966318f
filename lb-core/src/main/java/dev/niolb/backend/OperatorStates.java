package dev.niolb.backend;

import dev.niolb.config.Endpoint;
import dev.niolb.config.OperatorFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Threadsafe: saves are synchronized; the restore runs once, before the loops start.
 *
 * <p>The servers' operator modes and weights (what the admin API and {@code niolb server} set) kept in a file
 * across restarts ({@code --state-file}), as HAProxy's {@code server-state-file} and nginx's upstream {@code
 * state} keep theirs: without it a server an operator put in MAINT for a repair takes sessions again after an
 * upgrade's restart. The file is rewritten whole after every change (a temporary file renamed over it, so a crash
 * leaves the old one or the new one), and read at start, before any listener accepts.
 *
 * <p>One line per server whose mode is not UP or whose weight is not its config's: {@code GROUP SERVER ADDRESS
 * CONFIG-WEIGHT MODE WEIGHT} (names hold no spaces, see {@link dev.niolb.config.Names}). At start a line applies
 * to the server of that group, name and address; its weight only while the config still gives the weight it was
 * set over (as a reload keeps an operator's weight until the file changes that server's weight). Lines that match
 * no server, and lines that cannot be read, are skipped and logged: a state file never stops a start. A line that
 * starts with {@code #} is a comment; a group name that starts with {@code #} or {@code \} is written with a
 * {@code \} before it, so that it is not read as one.
 */
public final class OperatorStates {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorStates.class);
    /** Nothing kept: what an engine started without {@code --state-file} gets. */
    public static final OperatorStates NONE = new OperatorStates(null);
    /** The largest file read: some 100,000 servers' lines; past it (a link to /dev/zero) nothing is read. */
    static final int MAX_BYTES = 16 << 20;
    /** Lines not applied named in the warning; past them only counted, so that a bad file cannot flood the log. */
    static final int NAMED_SKIPPED = 20;
    private static final String HEADER = "# niolb operator states (--state-file): rewritten by niolb at every change;"
        + " read at start\n# group server address config-weight mode weight\n";

    private final Path file;
    private String lastError;
    /**
     * Lines for servers by DNS name (named {@code NAME:PORT#ADDRESS}) that were not in their group at start: their
     * name did not resolve yet (a resolver down or slow). Kept, and written back at every save, until DNS gives the
     * server (then applied) or its name answers without it (then dropped, as for a server DNS dropped): the
     * restart lost an operator's drain or maint for good before (black-box testing, session 30). Under this.
     */
    private final Map<String, String> pending = new java.util.LinkedHashMap<>();

    private OperatorStates(final Path file) {
        this.file = file;
    }

    /** States kept in {@code file}. */
    public static OperatorStates in(final Path file) {
        return new OperatorStates(file.toAbsolutePath());
    }

    /** The file, or null for none. */
    public Path file() {
        return file;
    }

    /**
     * Applies what the file holds to {@code groups}' servers (at start, before any session). A missing file is a
     * first start: nothing to apply.
     *
     * @return the lines applied
     */
    public int restore(final Map<String, TargetGroup> groups) {
        if (file == null) {
            return 0;
        }
        if (!Files.exists(file)) {
            return 0; // a first start
        }
        final List<String> lines;
        try {
            lines = new String(OperatorFile.read(file, MAX_BYTES, false), StandardCharsets.UTF_8).lines().toList();
        } catch (final IOException | RuntimeException e) {
            LOG.warn("operator states: cannot read {}: {}; servers start as the config says", file, e.getMessage());
            return 0;
        }
        final List<String> applied = new ArrayList<>();
        final List<String> skipped = new ArrayList<>();
        final List<String> waiting = new ArrayList<>();
        boolean unreadable = false;
        final Map<String, Integer> lineOf = new HashMap<>(); // group and server fields -> line applied
        for (int i = 0; i < lines.size(); i++) {
            final String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            final String[] fields = line.split("\\s+");
            final String key = fields.length == 6 ? fields[0] + " " + fields[1] : null;
            final Integer first = key == null ? null : lineOf.get(key);
            if (first != null) {
                // niolb writes one line a server: a second one is a hand edit, and which of two wins is a guess;
                // one that could not be read anyway says why (an invalid mode went unnamed: session 34)
                try {
                    Endpoint.parse(fields[2]);
                    number(fields[3]);
                    mode(fields[4]);
                    number(fields[5]);
                    skipped.add("line " + (i + 1) + ": " + fields[1] + " of " + fields[0] + " again (line " + first
                        + " applies)");
                } catch (final IllegalArgumentException e) {
                    skipped.add("line " + (i + 1) + ": " + e.getMessage());
                    unreadable = true;
                }
                continue;
            }
            try {
                final String done = apply(line, groups);
                if (key != null && (done == null || !done.startsWith("-"))) {
                    // a line for a server now elsewhere applies nothing: a later one for it may (black-box testing,
                    // session 28: both were refused, the second as "again", and neither applied)
                    lineOf.put(key, i + 1);
                }
                if (done == null) {
                    continue; // what the config says already
                }
                if (done.startsWith("-") && done.endsWith(NO_SUCH_SERVER) && dev.niolb.config.DnsServerSpec.isFound(fields[1])) {
                    synchronized (this) {
                        pending.put(key, line);
                    }
                    waiting.add(done.substring(1, done.length() - NO_SUCH_SERVER.length()));
                } else if (done.startsWith("-")) {
                    skipped.add(done.substring(1));
                } else {
                    applied.add(done);
                }
            } catch (final IllegalArgumentException e) {
                skipped.add("line " + (i + 1) + ": " + e.getMessage());
                unreadable = true;
            }
        }
        String kept = "";
        if (unreadable) {
            // the next save rewrites the file from the servers: lines it could not read (a hand edit, another
            // version's) would be gone without a trace (black-box testing, session 26)
            final Path copy = file.resolveSibling(file.getFileName() + ".rejected");
            try {
                Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                kept = " (the file as it was is kept as " + copy + ")";
            } catch (final IOException | RuntimeException e) {
                kept = " (it could not be kept as " + copy + ": " + e.getMessage() + ")";
            }
        }
        if (!applied.isEmpty()) {
            LOG.info("operator states from {}: {}", file, String.join(", ", applied));
        }
        if (!waiting.isEmpty()) {
            LOG.info("operator states from {}: {} wait for their DNS names to give them (kept in the file until then)",
                file, String.join(", ", waiting));
        }
        if (!skipped.isEmpty()) {
            final int more = skipped.size() - NAMED_SKIPPED;
            LOG.warn("operator states from {} not applied: {}{}{}", file,
                String.join("; ", skipped.subList(0, Math.min(skipped.size(), NAMED_SKIPPED))),
                more > 0 ? "; and " + more + " more lines" : "", kept);
        }
        return applied.size();
    }

    private static final String NO_SUCH_SERVER = ": no such server in the config";

    /**
     * Applies the lines still waiting for their servers by DNS name to those DNS has given since ({@link #pending});
     * drops those whose name has answered without the server ({@code answered} says, for a group and a server
     * name, whether its DNS name has answered at least once). Any thread, after DNS changed a group.
     */
    public synchronized void applyPending(final Map<String, TargetGroup> groups,
                                          final java.util.function.BiPredicate<String, String> answered) {
        for (final var it = pending.entrySet().iterator(); it.hasNext(); ) {
            final var e = it.next();
            final String[] f = e.getValue().split("\\s+");
            final String groupName = f[0].startsWith("\\") ? f[0].substring(1) : f[0];
            final String done;
            try {
                done = apply(e.getValue(), groups);
            } catch (final IllegalArgumentException bad) {
                it.remove(); // read once already: cannot happen
                continue;
            }
            if (done != null && done.startsWith("-") && done.endsWith(NO_SUCH_SERVER)) {
                if (groups.containsKey(groupName) && !answered.test(groupName, f[1])) {
                    continue; // its name has not answered yet
                }
                it.remove();
                LOG.info("operator states: {}/{} dropped: its DNS name answered without it", groupName, f[1]);
                continue;
            }
            it.remove();
            if (done != null && !done.startsWith("-")) {
                LOG.info("operator states from {}: {} (its DNS name gave it)", file, done);
            }
        }
    }

    /**
     * A server just created in {@code group}, not yet in any snapshot: the line waiting for it, if any, applies now,
     * so that it joins in the mode kept for it. Any thread (a DNS lookup's).
     */
    public synchronized void joining(final String group, final Server server) {
        final String line = pending.get((atLineStart(group)) + " " + server.name());
        if (line == null) {
            return;
        }
        final String[] f = line.split("\\s+");
        final String done;
        try {
            if (!Endpoint.parse(f[2]).address().equals(server.address())) {
                return;
            }
            done = applyTo(server, f, group + "/" + server.name());
        } catch (final IllegalArgumentException bad) {
            return;
        }
        pending.remove(atLineStart(group) + " " + server.name());
        if (done != null) {
            LOG.info("operator states from {}: {} (its DNS name gave it)", file, done);
        }
    }

    /** One line applied: what it did, {@code -why} when it matches no server, null when it changed nothing. */
    private static String apply(final String line, final Map<String, TargetGroup> groups) {
        final String[] f = line.split("\\s+");
        if (f.length != 6) {
            throw new IllegalArgumentException("expected 6 fields (group server address config-weight mode weight),"
                + " got " + f.length);
        }
        final InetSocketAddress address = Endpoint.parse(f[2]).address();
        number(f[3]); // the line read whole before it applies: one that cannot is reported as such
        mode(f[4]);
        number(f[5]);
        final String groupName = f[0].startsWith("\\") ? f[0].substring(1) : f[0];
        final String who = groupName + "/" + f[1];
        final TargetGroup group = groups.get(groupName);
        final Server server = group == null ? null : group.snapshot().server(f[1]);
        if (server == null) {
            return "-" + who + NO_SUCH_SERVER;
        }
        if (!server.address().equals(address)) {
            return "-" + who + ": now at " + Endpoint.hostPort(server.address()) + ", not " + f[2];
        }
        return applyTo(server, f, who);
    }

    /** The mode and weight of line {@code f} (its fields) applied to {@code server}: what it did, or null. */
    private static String applyTo(final Server server, final String[] f, final String who) {
        final int configWeight = number(f[3]);
        final ServerState mode = mode(f[4]);
        final int weight = number(f[5]);
        final List<String> did = new ArrayList<>();
        if (mode != ServerState.UP) {
            server.operatorMode(mode, "kept from before the restart");
            did.add(mode.name().toLowerCase(Locale.ROOT));
        }
        if (weight != server.weight()) {
            if (configWeight == server.config().weight()) {
                server.weight(weight);
                did.add("weight " + weight);
            } else {
                did.add("not weight " + weight + " (the config's weight changed " + configWeight + "→"
                    + server.config().weight() + ")");
            }
        }
        return did.isEmpty() ? null : who + " " + String.join(" ", did);
    }

    /** A group name at the start of a line: one that would read as a comment (or as escaped) is escaped. */
    private static String atLineStart(final String name) {
        return name.startsWith("#") || name.startsWith("\\") ? "\\" + name : name;
    }

    private static int number(final String text) {
        try {
            return Integer.parseInt(text);
        } catch (final NumberFormatException e) {
            throw new IllegalArgumentException("not a weight: " + text);
        }
    }

    private static ServerState mode(final String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "up" -> ServerState.UP;
            case "drain" -> ServerState.DRAIN;
            case "maint" -> ServerState.MAINT;
            default -> throw new IllegalArgumentException("not an operator mode (up, drain, maint): " + text);
        };
    }

    /**
     * Where a save goes: the file a symbolic link at {@code file} leads to (state kept on a mounted volume through a
     * link), not the link, which a rename over it replaced with a file of its own while the volume's went stale; and
     * only a regular file (or none yet), never a named pipe or a device replaced by one (black-box testing, session
     * 28).
     */
    private static Path target(final Path file) throws IOException {
        Path at = file.toAbsolutePath();
        for (int links = 0; Files.isSymbolicLink(at); links++) {
            if (links == 40) {
                throw new IOException("too many levels of symbolic links");
            }
            at = at.resolveSibling(Files.readSymbolicLink(at)).normalize();
        }
        if (Files.exists(at, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(at, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException((Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS) ? "a directory"
                : "a named pipe, a socket or a device") + ", not a file"
                + (at.equals(file.toAbsolutePath()) ? "" : " (" + at + ", where the link leads)"));
        }
        return at;
    }

    /**
     * Writes the operator modes and weights of {@code groups}' servers, replacing the file whole. A failure is
     * logged (once until a save works again), never thrown: the change it records has been made.
     */
    /**
     * Why the last save failed ({@code cannot save to FILE: why}), or null when it worked or there is no file: for
     * the answer to the change that could not be kept.
     */
    public synchronized String notSaved() {
        return lastError == null ? null : "cannot save to " + file + ": " + lastError;
    }

    public synchronized void save(final Collection<TargetGroup> groups) {
        if (file == null) {
            return;
        }
        final StringBuilder text = new StringBuilder(HEADER);
        for (final TargetGroup group : groups) {
            for (final Server s : group.snapshot().servers()) {
                final ServerState mode = s.operatorMode();
                final int weight = s.weight();
                if (mode != ServerState.UP || weight != s.config().weight()) {
                    text.append(atLineStart(group.name())).append(' ').append(s.name()).append(' ')
                        .append(Endpoint.hostPort(s.address())).append(' ').append(s.config().weight()).append(' ')
                        .append(mode.name().toLowerCase(Locale.ROOT)).append(' ').append(weight).append('\n');
                }
            }
        }
        for (final String line : pending.values()) {
            text.append(line).append('\n'); // still waiting for DNS to give its server
        }
        try {
            final Path target = target(file);
            final Path dir = target.getParent();
            final Path temporary = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
            try {
                Files.writeString(temporary, text, StandardCharsets.UTF_8);
                try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                    channel.force(true); // on disk before the rename: a crash leaves the old file or the new one
                }
                try {
                    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (final AtomicMoveNotSupportedException e) {
                    Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
                }
            } finally {
                Files.deleteIfExists(temporary);
            }
            if (lastError != null) {
                LOG.info("operator states: saved to {} again", file);
                lastError = null;
            }
        } catch (final IOException | RuntimeException e) {
            final String error = OperatorFile.reason(e);
            if (!error.equals(lastError)) {
                // said at start too, where nothing has changed yet: what is lost is what the operator sets from now
                LOG.warn("operator states: cannot save to {}: {}; drain, maint and weights set at run time will not "
                    + "outlive a restart until it can", file, error);
            }
            lastError = error;
        }
    }
}
