package dev.niolb.backend;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.Consumer;

/**
 * The servers of one group as their states change: recomputes what each may take and decides when the backups
 * take over (no primary server can take new sessions) and when they hand back, and when the group is in panic.
 *
 * <p>Panic (Envoy's panic threshold): while fewer than {@code panicThreshold} percent of the primary servers
 * that are UP or DOWN (DRAIN and MAINT are the operator's or the agent's choice and do not count) are UP, and no
 * backup is UP to take over, every UP or DOWN server of the group takes new sessions: DOWN ones publish the
 * weight they would have UP. Checks that fail against a whole group (a check path that moved, a firewall in
 * front of the checks) would otherwise turn it away entirely; spread over all of them the traffic still
 * reaches the servers that do answer, a failed connect is retried on the next one. Panic is published the way
 * states are, in each server's effective weight, so balancers see it with the one volatile read they already
 * make: no snapshot, no lock, no allocation on the pick path.
 *
 * <p>Threading: every change to a server's state or weight goes through {@link #update} under this object's
 * monitor. Writers are rare and never relay loops: the health loop, operators, tests. Readers (balancers on
 * the relay loops) never lock: they read each server's published volatile fields.
 *
 * <p>Each state change is logged once: DOWN at WARN, the others at INFO, with the reason.
 */
final class Failover {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.health");

    private final String group;
    private volatile long slowStartNanos;
    private Server[] servers = new Server[0];
    private boolean backupsActive;
    private boolean noneAccepting;
    /** The group itself was removed (a reload): its servers leaving is no news to warn of. */
    private boolean retired;
    private int panicThreshold;
    /** Only the first backup that is UP takes over (HAProxy's backup without allbackups); else all of them. */
    private boolean firstBackupOnly;
    private volatile boolean panic;
    private Consumer<Server> onRampStart = s -> { };
    private Consumer<Server> onDrainStart = s -> { };
    private Consumer<Server> onDown = s -> { };
    private Runnable onTableWeights = () -> { };

    /** The group's name. */
    String group() {
        return group;
    }

    Failover(final String group, final long slowStartNanos) {
        this(group, slowStartNanos, 0);
    }

    Failover(final String group, final long slowStartNanos, final int panicThreshold) {
        this.group = group;
        this.slowStartNanos = slowStartNanos;
        this.panicThreshold = panicThreshold;
    }

    /** The group is being removed: its servers leave next, and no warning says the group takes no session. */
    synchronized void retire() {
        retired = true;
    }

    synchronized void servers(final Server[] all) {
        this.servers = all.clone();
        this.backupsActive = !anyPrimaryAccepts();
        this.panic = panicNow();
        publishAll();
    }

    /**
     * Whether only the first backup that is UP takes over. A change applies at once: while the backups have
     * taken over, the others stop or start taking new sessions (their sessions go on).
     */
    synchronized void firstBackupOnly(final boolean first) {
        if (first != firstBackupOnly) {
            firstBackupOnly = first;
            publishBackups(true);
        }
    }

    /**
     * Whether {@code backup} takes new sessions as a backup now: the backups have taken over and, with
     * {@link #firstBackupOnly}, it is the first of them that is UP with a weight ({@code first}, from
     * {@link #firstTakingBackup}). With none UP, every backup may: panic tries DOWN ones too.
     */
    private boolean takesAsBackup(final Server backup, final Server first) {
        return backupsActive && (!firstBackupOnly || first == null || backup == first);
    }

    /** The first backup, in the group's order, that is UP with a weight; null when none is. */
    private Server firstTakingBackup() {
        for (final Server s : servers) {
            if (s.backup() && s.computeState() == ServerState.UP && s.weight() > 0) {
                return s;
            }
        }
        return null;
    }

    /** Whether the group is in panic now (see the class comment). Any thread; one volatile read. */
    boolean panic() {
        return panic;
    }

    /** A new panic threshold (a reload): the group enters or leaves panic at once if it now should. */
    synchronized void panicThreshold(final int percent) {
        if (percent == panicThreshold) {
            return;
        }
        panicThreshold = percent;
        final boolean next = panicNow();
        if (next != panic) {
            panic = next;
            publishAll();
            logPanic(next);
        }
    }

    /** Called when a server returns to UP and slow start is configured; the health loop ramps its weight. */
    synchronized void onRampStart(final Consumer<Server> listener) {
        this.onRampStart = listener;
    }

    /** Called when a server enters DRAIN; the health loop closes its sessions after the drain timeout. */
    synchronized void onDrainStart(final Consumer<Server> listener) {
        this.onDrainStart = listener;
    }

    /** Called when a server goes DOWN; the health loop closes its sessions when the group says so. */
    synchronized void onDown(final Consumer<Server> listener) {
        this.onDown = listener;
    }

    /** Called when a weight that Maglev tables are built from changed, so that a new table is built. */
    synchronized void onTableWeights(final Runnable listener) {
        this.onTableWeights = listener;
    }

    long slowStartNanos() {
        return slowStartNanos;
    }

    /** A new slow-start time, for servers that come back from now on (a reload). */
    void slowStartNanos(final long nanos) {
        this.slowStartNanos = nanos;
    }

    /**
     * {@code server} joins the group, or rejoins it before it was forgotten, and takes sessions at once. A new
     * server starts its slow start when one is configured: a cold server is not handed a group's worth of
     * connections at once (under {@code leastconn} it would get every new one).
     */
    synchronized void add(final Server server, final boolean rejoining) {
        final Server[] next = java.util.Arrays.copyOf(servers, servers.length + 1);
        next[servers.length] = server;
        servers = next;
        update(server, () -> {
            if (rejoining) {
                server.rejoin();
            } else if (slowStartNanos > 0) {
                server.startRamp(System.nanoTime());
                onRampStart.accept(server);
            }
        }, rejoining ? "back in group " + group : "added to group " + group);
    }

    /** {@code server} leaves the group: DRAIN, so it takes no new session and its sessions finish. */
    synchronized void remove(final Server server) {
        if (servers.length == 0) {
            return;
        }
        final Server[] next = new Server[servers.length - 1];
        int n = 0;
        for (final Server s : servers) {
            if (s != server) {
                if (n == next.length) {
                    return; // not a member
                }
                next[n++] = s;
            }
        }
        servers = next;
        update(server, server::leave, "removed from group " + group);
    }

    /**
     * Applies {@code change} to {@code server}'s inputs, recomputes and publishes it, hands over to or back from
     * the backups if that changed, and logs what changed with {@code reason}.
     */
    synchronized void update(final Server server, final Runnable change, final String reason) {
        update(server, change, reason, true);
    }

    /** As above; {@code said}: whether the server's own line is logged (the caller sums up many changes itself). */
    synchronized void update(final Server server, final Runnable change, final String reason, final boolean said) {
        final ServerState before = server.state();
        final long tableWeightBefore = server.tableWeight();
        final boolean drainingBefore = server.drainAsked();
        final boolean healthyBefore = server.healthy();
        final ServerState agentBefore = server.agentMode();
        change.run();
        final ServerState after = server.computeState();
        if (after == ServerState.UP && (before == ServerState.DOWN || before == ServerState.MAINT)) {
            if (slowStartNanos > 0) {
                server.startRamp(System.nanoTime());
                onRampStart.accept(server);
            }
        } else if (after != ServerState.UP) {
            server.endRamp();
        }
        final boolean backups = !anyPrimaryAccepts();
        // with only the first backup taking over, another one may have become the first
        final boolean handOver = backups != backupsActive || firstBackupOnly && server.backup();
        final boolean panicking = panicNow();
        // Order matters for clients: backups start taking sessions before the last primary stops, and a
        // returning primary takes sessions before the backups stop, so a pick never finds nobody in between;
        // in the same way the DOWN servers open before panic begins and close only after it ended.
        final boolean enterPanic = panicking && !panic;
        if (enterPanic) {
            panic = true;
            publishAll();
        }
        if (backups) {
            backupsActive = true;
            publishBackups(handOver);
            server.publish(!server.backup() || takesAsBackup(server, firstTakingBackup()), panic);
        } else {
            server.publish(false, panic);
            backupsActive = false;
            publishBackups(handOver);
        }
        final boolean leavePanic = !panicking && panic;
        if (leavePanic) {
            panic = false;
            publishAll();
        }
        if (server.drainAsked() && !drainingBefore) {
            onDrainStart.accept(server); // DRAIN asked, whether the server shows DRAIN or (failing checks) DOWN
        }
        if (after == ServerState.DOWN && before != ServerState.DOWN) {
            onDown.accept(server);
        }
        if (after != before) {
            server.healthCounters().entered(after);
            server.stateReason(reason);
            // the agent's word holds the state where the event's reason alone would mislead: "DRAIN: set by
            // operator" for a ready, "DRAIN: 2 checks passed" (black-box testing, session 28)
            final String line = "server " + server.label() + " " + after + (reason == null ? "" : ": " + reason)
                + (server.agentMode() == agentBefore ? server.agentHolds(after) : "")
                + (after == ServerState.UP && server.ramping()
                ? " (slow start over " + slowStartNanos / 1_000_000 + " ms)" : "");
            if (!said) {
                LOG.debug("{}", line);
            } else if (after == ServerState.DOWN) {
                LOG.warn("{}", line);
            } else {
                LOG.info("{}", line);
            }
        } else if (server.agentMode() != agentBefore && after != ServerState.UP) {
            // said now, not only when it shows: an agent's drain while checks hold the server DOWN came to light
            // later as "DRAIN: 2 checks passed" (black-box testing, session 28)
            LOG.info("server {} stays {}: {}", server.label(), after, reason);
        } else if (server.healthy() != healthyBefore) {
            // in MAINT (or held DOWN by its agent) a check's verdict changes no state, but says what leaving it will
            final String line = "server " + server.label() + " stays " + after + ": its checks say "
                + (server.healthy() ? ServerState.UP : ServerState.DOWN) + (reason == null ? "" : ": " + reason);
            if (server.healthy()) {
                LOG.info("{}", line);
            } else {
                LOG.warn("{}", line);
            }
        }
        // one group line an event: the hand-over's, when there is one, says what the line below would (black-box
        // testing, session 28: two lines, one saying the backups stood by when the only one was DOWN)
        final boolean handOverSaid = handOver && backupCount() > 0;
        if (handOverSaid) {
            if (backups && noneAccepts()) {
                LOG.warn("group {}: no primary server takes new sessions, and no backup server can take over",
                    group);
            } else if (backups && !anyBackupUp()) {
                // in panic: what takes sessions is every server, DOWN ones too, not a backup standing in
                LOG.warn("group {}: no primary server is UP, nor any backup server: in panic, every server UP or "
                    + "DOWN takes new sessions", group);
            } else if (backups) {
                LOG.warn("group {}: no primary server takes new sessions: the backup servers take over", group);
            } else if (anyBackupUp()) {
                LOG.info("group {}: primary server {} takes new sessions again: the backup servers stand by", group,
                    server.name());
            } else {
                LOG.info("group {}: primary server {} takes new sessions again", group, server.name());
            }
        }
        if (enterPanic || leavePanic) {
            logPanic(enterPanic);
        }
        final boolean none = noneAccepts();
        if (none != noneAccepting) {
            noneAccepting = none;
            if (handOverSaid) {
                // said above
            } else if (!none) {
                // a server new to the group does not take them "again" (black-box testing, session 35)
                LOG.info(reason != null && reason.startsWith("added to group")
                    ? "group {}: server {} added: the group takes new sessions again"
                    : "group {}: server {} takes new sessions again", group, server.name());
            } else if (!retired) { // a group a reload removed takes none, by design: nothing to warn of, nor to
                // say it takes them again (black-box testing, session 27: it did, on every group removed)
                LOG.warn("group {}: no server can take new sessions", group);
            }
        }
        if (server.tableWeight() != tableWeightBefore) {
            onTableWeights.run();
        }
    }

    /**
     * Publishes the backups, when {@code changed}: the one that takes over first, then the others, so that a
     * new session never finds none between the old first backup stopping and the new one starting.
     */
    private void publishBackups(final boolean changed) {
        if (!changed) {
            return;
        }
        final Server first = firstTakingBackup();
        if (first != null) {
            first.publish(takesAsBackup(first, first), panic);
        }
        for (final Server s : servers) {
            if (s.backup() && s != first) {
                s.publish(takesAsBackup(s, first), panic);
            }
        }
    }

    private void publishAll() {
        final Server first = firstTakingBackup();
        for (final Server s : servers) {
            s.publish(!s.backup() || takesAsBackup(s, first), panic);
        }
    }

    /**
     * Whether the group should be in panic: a threshold is set, no backup is UP, and fewer than the threshold's
     * share of the primaries that are UP or DOWN are UP with a weight. DRAIN and MAINT servers do not count:
     * taking servers out for maintenance must not push the rest into panic.
     */
    private boolean panicNow() {
        if (panicThreshold == 0) {
            return false;
        }
        int counted = 0;
        int up = 0;
        for (final Server s : servers) {
            final ServerState state = s.computeState();
            final boolean taking = state == ServerState.UP && s.tableWeight() > 0;
            if (s.backup()) {
                if (taking) {
                    return false; // the backups take over: that is failover, not panic
                }
            } else if (state == ServerState.UP || state == ServerState.DOWN) {
                counted++;
                up += taking ? 1 : 0;
            }
        }
        return counted > 0 && (long) up * 100 < (long) panicThreshold * counted;
    }

    private void logPanic(final boolean entered) {
        // counted as panicNow counts: drained and maintenance servers are not in the share
        int primaries = 0;
        int up = 0;
        for (final Server s : servers) {
            final ServerState state = s.computeState();
            if (!s.backup() && (state == ServerState.UP || state == ServerState.DOWN)) {
                primaries++;
                up += state == ServerState.UP && s.tableWeight() > 0 ? 1 : 0;
            }
        }
        if (entered) {
            LOG.warn("group {}: panic: {} of {} primary servers UP, under the panic threshold of {}%: every server"
                + " not in drain or maintenance takes new sessions, DOWN ones included", group, up, primaries,
                panicThreshold);
        } else {
            LOG.warn("group {}: panic over: {} of {} primary servers UP (panic threshold {}%): only UP servers take"
                + " new sessions again", group, up, primaries, panicThreshold);
        }
    }

    private int backupCount() {
        int n = 0;
        for (final Server s : servers) {
            n += s.backup() ? 1 : 0;
        }
        return n;
    }

    /**
     * Whether backup servers take new sessions: no primary does, and a backup can (UP, with a weight). A group
     * without backups, or whose backups are down too, has none active: the metric an alert reads says so.
     */
    synchronized boolean backupsActive() {
        return backupsActive && anyTaking(true);
    }

    private boolean anyPrimaryAccepts() {
        return anyTaking(false);
    }

    private boolean anyBackupUp() {
        return anyTaking(true);
    }

    /** Whether a backup (or a primary) server is UP with a weight: one that would take new sessions by its state. */
    private boolean anyTaking(final boolean backup) {
        for (final Server s : servers) {
            if (s.backup() == backup && s.computeState() == ServerState.UP && s.tableWeight() > 0) {
                return true;
            }
        }
        return false;
    }

    private boolean noneAccepts() {
        for (final Server s : servers) {
            if (s.effectiveWeight() > 0) { // state and weight only: a server at its maxconn is busy, not out
                return false;
            }
        }
        return true;
    }
}
