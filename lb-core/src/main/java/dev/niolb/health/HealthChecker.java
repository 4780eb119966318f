package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopTimer;
import dev.niolb.loop.Timeout;
import dev.niolb.backend.Server;
import dev.niolb.backend.ServerState;
import dev.niolb.backend.TargetGroup;
import dev.niolb.transport.nio.NioTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Health for every group: active checks, agent polls, passive failure verdicts, slow-start ramps and paced
 * drains, all on one event loop of its own ({@code niolb-health}), never on a relay loop. It follows groups
 * as they change at run time: a server that joins is checked from then on, one that leaves stops being
 * checked and is {@link TargetGroup#forget forgotten} once it has had no session for a little while.
 *
 * <p>Threading: built and closed by the engine's control thread. Everything else runs on the health loop:
 * relay loops hand it passive verdicts through the loop's lock-free command queue (one command when a server
 * crosses its failure threshold, nothing per connection); servers' states are published to the relay loops
 * through {@link Server}'s volatile fields. Checks are non-blocking: a server that hangs costs a socket and a
 * timer until the check's timeout, and delays neither other checks nor any relay loop.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.health");
    private static final long LOOP_STOP_TIMEOUT_MS = 5_000;
    /** How often servers that left their group are looked at: forgotten after two looks with no session. */
    static final long RETIRE_STEP_MS = 100;
    /** How many servers' first checks start a second at most, spread at random (see {@link #firstCheckSpreadMs}). */
    static final int FIRST_CHECKS_PER_SECOND = 1000;

    private final EventLoop loop;
    private final Map<Server, ServerCheck> checks = new IdentityHashMap<>();
    private final Map<Server, AgentPoll> agents = new IdentityHashMap<>();
    private final Map<TargetGroup, GroupHealth> groups = new IdentityHashMap<>();
    private final Retirement retirement;
    private final SessionCloser closer;
    private final SplittableRandom random = new SplittableRandom(System.nanoTime());
    private boolean started;

    /**
     * Closes up to about {@code count} of a server's sessions, idlest first, on the relay loops. Any thread; must
     * not wait for the loops.
     */
    @FunctionalInterface
    public interface SessionCloser {
        void closeIdlest(Server server, int count, dev.niolb.session.Termination why);
    }

    /** What the health loop keeps for one group: its settings, slow start and paced drain. Health loop. */
    private static final class GroupHealth {
        final TargetGroup group;
        HealthCheckConfig config;
        boolean datagramOnly;
        SlowStart ramp;
        PacedDrain drain;
        boolean removed;

        GroupHealth(final TargetGroup group) {
            this.group = group;
        }
    }

    private HealthChecker(final EventLoop loop, final SessionCloser closer) {
        this.loop = loop;
        this.closer = closer;
        this.retirement = new Retirement();
    }

    /** {@link #start(Collection, SessionCloser, Set)} for groups whose drains never close sessions, all TCP. */
    public static HealthChecker start(final Collection<TargetGroup> groups) throws IOException {
        return start(groups, (server, count, why) -> { }, Set.of());
    }

    /**
     * Starts the health loop and, soon after (with jitter), every group's checks.
     *
     * @param datagramOnly names of the groups that only UDP listeners use: their passive re-probe is a datagram
     */
    public static HealthChecker start(final Collection<TargetGroup> groups, final SessionCloser closer,
                                      final Set<String> datagramOnly) throws IOException {
        final HealthChecker checker = new HealthChecker(new EventLoop(0, "niolb-health", NioTransport.INSTANCE), closer);
        for (final TargetGroup group : groups) {
            checker.register(group, datagramOnly.contains(group.name()));
        }
        checker.loop.execute(checker::startAll);
        checker.loop.start();
        return checker;
    }

    /** Checks a group added at run time, from now on. Any thread. */
    public void addGroup(final TargetGroup group, final boolean datagramOnly) {
        loop.execute(() -> {
            register(group, datagramOnly);
            for (final Server server : group.snapshot().servers()) {
                startServer(server);
            }
        });
    }

    /**
     * The group's health settings changed (or whether only UDP listeners use it): its checks start again with
     * the new settings; servers keep their states, a paced drain or slow start in progress goes on under the new
     * settings. Any thread.
     */
    public void reconfigure(final TargetGroup group, final boolean datagramOnly) {
        loop.execute(() -> {
            final GroupHealth gh = groups.get(group);
            if (gh == null) {
                return;
            }
            for (final Server server : group.snapshot().servers()) {
                stopServer(server);
            }
            final java.util.Map<Server, Long> drainStarts = gh.drain == null ? java.util.Map.of() : gh.drain.startedAt();
            stopGroupTimers(gh);
            final boolean hadCheck = gh.config.healthCheck() != null;
            final CheckSpec.Agent agentBefore = gh.config.agentCheck();
            configure(gh, group.health(), datagramOnly);
            final CheckSpec.Agent agentNow = gh.config.agentCheck();
            if (agentBefore != null && agentNow != null && agentBefore.port() != agentNow.port()) {
                // another agent: the old one's word is not its, and held for good where the new one never
                // answered (black-box testing, session 34); its own first word decides
                for (final Server server : group.snapshot().servers()) {
                    server.forgetAgent("its agent check moved to port " + agentNow.port());
                }
            }
            if (hadCheck && gh.config.healthCheck() == null) {
                // what the removed check said goes with it, as an agent's word does: left DOWN, a server would wait
                // for a re-probe of its check port, which may be the very reason the check was removed
                for (final Server server : group.snapshot().servers()) {
                    if (!server.healthy()) {
                        server.health(true, "its health check was removed by a reload");
                    }
                }
            }
            for (final Server server : group.snapshot().servers()) {
                startServer(server);
                if (gh.ramp == null) {
                    server.finishRamp(); // slow start off: nothing would advance a ramp under way
                } else if (server.state() == dev.niolb.backend.ServerState.UP) {
                    gh.ramp.add(server); // goes on if it was ramping; dropped at the first step if not
                }
            }
            if (gh.drain != null) { // a drain under way goes on from when it began
                for (final Server server : group.snapshot().servers()) {
                    gh.drain.add(server, drainStarts.get(server)); // only servers in DRAIN are taken
                }
                for (final Server server : group.retiring()) {
                    gh.drain.add(server, drainStarts.get(server));
                }
            }
        });
    }

    /**
     * The group left the engine; its servers were removed from it first (and are draining). What is left of it
     * here goes once the last of them is forgotten. Any thread.
     */
    public void removeGroup(final TargetGroup group) {
        loop.execute(() -> {
            final GroupHealth gh = groups.get(group);
            if (gh != null) {
                gh.removed = true;
                dropIfDone(gh);
            }
        });
    }

    private void register(final TargetGroup group, final boolean datagramOnly) {
        final GroupHealth gh = new GroupHealth(group);
        configure(gh, group.health(), datagramOnly);
        groups.put(group, gh);
        // relay loops: one queued command when a server crosses the threshold, then the health loop decides
        group.failureListener((server, failures, why, datagram) -> {
            if (!loop.execute(() -> onPassiveFailures(group, server, failures, why, datagram))) {
                server.judged(); // no health loop any more to judge it: stopping
            }
        });
        // the current ramp and drain of the group are looked up on the loop: a reload may have replaced them
        group.onRampStart(server -> loop.execute(() -> {
            if (gh.ramp != null) {
                gh.ramp.add(server);
            }
        }));
        group.onDrainStart(server -> loop.execute(() -> {
            if (gh.drain != null) {
                gh.drain.asked(server);
            }
        }));
        group.onDown(server -> loop.execute(() -> {
            // the group's setting as it is now (a reload may have changed it), and the server still DOWN
            if (gh.config.closeOnDown() && server.state() == dev.niolb.backend.ServerState.DOWN) {
                final long active = server.active();
                if (active > 0) {
                    LOG.info("server {} DOWN: closing its {} {} (close-on-down)", server.label(), active,
                        active == 1 ? "session" : "sessions");
                    closer.closeIdlest(server, Integer.MAX_VALUE, dev.niolb.session.Termination.SERVER_DOWN);
                }
            }
        }));
        group.membershipListener(new TargetGroup.MembershipListener() {
            @Override
            public void added(final Server server) {
                loop.execute(() -> {
                    retirement.cancel(server);
                    startServer(server);
                });
            }

            @Override
            public void removed(final Server server) {
                loop.execute(() -> {
                    stopServer(server);
                    retirement.add(gh, server);
                });
            }
        });
        if (!started) {
            for (final Server server : group.snapshot().servers()) {
                createChecks(gh, server); // started all at once by startAll
            }
        }
    }

    private void configure(final GroupHealth gh, final HealthCheckConfig config, final boolean datagramOnly) {
        gh.config = config;
        gh.datagramOnly = datagramOnly;
        gh.ramp = config.slowStart().isZero() ? null : new SlowStart(loop, config.slowStart().toMillis());
        gh.drain = config.drainTimeout().isZero() ? null
            : new PacedDrain(loop, closer, config.drainTimeout().toMillis(), config.drainRate());
    }

    private void stopGroupTimers(final GroupHealth gh) {
        if (gh.ramp != null) {
            gh.ramp.stop();
        }
        if (gh.drain != null) {
            gh.drain.stop();
        }
    }

    private void createChecks(final GroupHealth gh, final Server server) {
        final CheckSpec health = gh.config.healthCheck();
        final CheckSpec.Agent agent = gh.config.agentCheck();
        checks.put(server, new ServerCheck(loop, server,
            health == null ? null : ActiveCheck.of(health, ActiveCheck.proxyHeaderOf(server)),
            gh.datagramOnly, gh.config, random.split()));
        if (agent != null) {
            agents.put(server, new AgentPoll(loop, server, agent.port(), gh.config.interval().toMillis(),
                gh.config.timeout().toMillis(), random.split()));
        }
    }

    /** Creates and starts the checks of a server (again, if it had some). Health loop. */
    private void startServer(final Server server) {
        GroupHealth owner = null;
        for (final GroupHealth gh : groups.values()) {
            if (gh.group.snapshot().server(server.name()) == server) {
                owner = gh;
            }
        }
        if (owner == null) {
            return; // left again before this ran
        }
        stopServer(server);
        createChecks(owner, server);
        final ServerCheck check = checks.get(server);
        final long spread = firstCheckSpreadMs();
        check.start(spread);
        final AgentPoll agent = agents.get(server);
        if (agent != null) {
            agent.start(spread);
        } else {
            server.forgetAgent(); // a reload removed the agent check: its last word no longer holds
        }
    }

    private void stopServer(final Server server) {
        final ServerCheck check = checks.remove(server);
        if (check != null) {
            check.stop();
        }
        final AgentPoll agent = agents.remove(server);
        if (agent != null) {
            agent.stop();
        }
    }

    private void startAll() {
        started = true;
        final long spread = firstCheckSpreadMs();
        for (final ServerCheck check : checks.values()) {
            check.start(spread);
        }
        for (final AgentPoll agent : agents.values()) {
            agent.start(spread);
        }
        for (final GroupHealth gh : groups.values()) {
            for (final Server server : gh.group.snapshot().servers()) {
                if (!agents.containsKey(server)) {
                    server.forgetAgent(); // no agent polled for it: no agent's word holds (a takeover's, say)
                }
            }
        }
    }

    /**
     * Over how long the first checks of the servers start (each at a random point, within its interval): a second,
     * or as long as {@link #FIRST_CHECKS_PER_SECOND} takes them all. HAProxy spreads first checks over the whole
     * interval; a second keeps a small fleet's first verdicts prompt, and thousands of servers checked every 30 s
     * no longer open all their sockets in one second, every 30 s (black-box testing, session 33).
     */
    private long firstCheckSpreadMs() {
        // the groups' servers as they are now, not the checks made so far: a reload adding 3,000 servers starts
        // them one by one, and counting those started gave the first a second, 1,967 checks in it (black-box
        // testing, session 34)
        long all = 0;
        for (final GroupHealth gh : groups.values()) {
            final int each = (gh.config.healthCheck() != null ? 1 : 0) + (gh.config.agentCheck() != null ? 1 : 0);
            all += (long) each * gh.group.snapshot().servers().length;
        }
        return Math.max(1000, Math.max(all, checks.size() + agents.size()) * 1000L / FIRST_CHECKS_PER_SECOND);
    }

    /**
     * A relay loop saw {@code failures} connects in a row fail (told at every multiple of max-fails). Fail-open: the
     * last server of its group that takes sessions is not taken DOWN on passive evidence alone (nginx never takes a group's last server down by
     * max_fails): a blip, or a server that closes its port between two uses (iperf3's UDP test), would otherwise
     * leave the group with nothing until a re-probe succeeds. An active check, when the group has one, still
     * takes it DOWN by its own fall count. Health loop.
     */
    private void onPassiveFailures(final TargetGroup group, final Server server, final int failures,
                                   final String why, final boolean datagram) {
        try {
            judgePassiveFailures(group, server, failures, why, datagram);
        } finally {
            server.judged(); // after the verdict is published: DOWN leaves no moment for a new session
        }
    }

    private void judgePassiveFailures(final TargetGroup group, final Server server, final int failures,
                                      final String why, final boolean datagram) {
        final ServerCheck check = checks.get(server);
        if (check == null) {
            return;
        }
        if (group.lastTakingSessions(server)) {
            if (failures > group.health().maxFails()) {
                return; // said at the first judgement of this run of failures
            }
            LOG.warn("server {}: {} failed during traffic ({}), but it is the last server of"
                + " group {} that takes sessions: kept UP{}", server.label(),
                ServerCheck.failedConnects(failures, datagram), why.toLowerCase(java.util.Locale.ROOT),
                group.name(),
                check.hasActiveCheck() ? " until its active check says otherwise" : " (no active check to confirm)");
            return;
        }
        check.passiveDown(failures, why, datagram);
    }

    /** A removed group's last traces go once none of its servers is retiring any more. Health loop. */
    private void dropIfDone(final GroupHealth gh) {
        if (gh.removed && !retirement.has(gh)) {
            stopGroupTimers(gh);
            groups.remove(gh.group);
        }
    }

    /** Stops every check and the health loop; states stay as they are. */
    @Override
    public void close() {
        loop.execute(() -> {
            checks.values().forEach(ServerCheck::stop);
            agents.values().forEach(AgentPoll::stop);
            groups.values().forEach(this::stopGroupTimers);
            retirement.stop();
        });
        loop.stop();
        try {
            loop.awaitTermination(LOOP_STOP_TIMEOUT_MS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        NotMadeLog.flush(); // a stop in a shortage of descriptors: its count said, not lost
    }

    /**
     * Servers that left their group: each is looked at every {@value #RETIRE_STEP_MS} ms and forgotten by its
     * group after two looks in a row with no session (two, so that a session a relay loop picked it for from
     * an older snapshot just before it left has been counted).
     *
     * <p>Not threadsafe: owned by the health loop.
     */
    private final class Retirement implements Timeout {
        private final List<Leaving> leaving = new ArrayList<>();
        private final LoopTimer timer = new LoopTimer(loop, this);
        private boolean stopped;

        private static final class Leaving {
            final GroupHealth group;
            final Server server;
            int idleLooks;

            Leaving(final GroupHealth group, final Server server) {
                this.group = group;
                this.server = server;
            }
        }

        void add(final GroupHealth group, final Server server) {
            if (stopped) {
                return;
            }
            cancel(server);
            leaving.add(new Leaving(group, server));
            timer.afterUnlessArmed(RETIRE_STEP_MS);
        }

        void cancel(final Server server) {
            leaving.removeIf(l -> l.server == server);
        }

        boolean has(final GroupHealth group) {
            for (final Leaving l : leaving) {
                if (l.group == group) {
                    return true;
                }
            }
            return false;
        }

        void stop() {
            stopped = true;
            timer.cancel();
        }

        @Override
        public void onTimeout(final long nowMs) {
            final List<GroupHealth> touched = new ArrayList<>();
            leaving.removeIf(l -> {
                if (l.server.active() > 0) {
                    l.idleLooks = 0;
                    return false;
                }
                if (++l.idleLooks < 2) {
                    return false;
                }
                if (l.group.group.forget(l.server)) {
                    LOG.info("server {} left group {}: no sessions left", l.server.name(), l.group.group.name());
                }
                touched.add(l.group);
                return true;
            });
            for (final GroupHealth gh : touched) {
                dropIfDone(gh);
            }
            if (!leaving.isEmpty() && !stopped) {
                timer.at(nowMs + RETIRE_STEP_MS);
            }
        }
    }

    /**
     * Slow start of one group: steps the weight of each server that came back UP from a small share to full
     * over the slow-start time, in about twenty steps (each at most a second apart, at least 50 ms).
     *
     * <p>Not threadsafe: owned by the health loop.
     */
    private static final class SlowStart implements Timeout {
        private final EventLoop loop;
        private final long stepMs;
        private final List<Server> ramping = new ArrayList<>();
        private final LoopTimer timer;
        private boolean stopped;

        SlowStart(final EventLoop loop, final long slowStartMs) {
            this.loop = loop;
            this.timer = new LoopTimer(loop, this);
            this.stepMs = Math.clamp(slowStartMs / 20, 50, 1000);
        }

        void add(final Server server) {
            if (stopped) {
                return;
            }
            if (!ramping.contains(server)) {
                ramping.add(server);
            }
            timer.afterUnlessArmed(stepMs);
        }

        void stop() {
            stopped = true;
            timer.cancel();
        }

        @Override
        public void onTimeout(final long nowMs) {
            final long now = System.nanoTime();
            ramping.removeIf(server -> !server.advanceRamp(now));
            if (!ramping.isEmpty() && !stopped) {
                timer.at(nowMs + stepMs);
            }
        }
    }
}
