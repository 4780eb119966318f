package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.Timeout;
import dev.niolb.target.Server;
import dev.niolb.target.TargetGroup;

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
 * drains, all on one event loop of its own ({@code niolb-health}), never on a relay loop.
 *
 * <p>Threading: built and closed by the engine's control thread. Everything else runs on the health loop:
 * relay loops hand it passive verdicts through the loop's lock-free command queue (one command when a server
 * crosses its failure threshold, nothing per connection); servers' states are published to the relay loops
 * through {@link Server}'s volatile fields. Checks are non-blocking: a server that hangs costs a socket and a
 * timer until the check's timeout, and delays neither other checks nor any relay loop.
 */
public final class HealthChecker implements AutoCloseable {
    private static final long LOOP_STOP_TIMEOUT_MS = 5_000;

    private final EventLoop loop;
    private final Map<Server, ServerCheck> checks = new IdentityHashMap<>();
    private final List<AgentPoll> agents = new ArrayList<>();
    private final List<SlowStart> ramps = new ArrayList<>();
    private final List<PacedDrain> drains = new ArrayList<>();
    private final SessionCloser closer;

    /**
     * Closes up to about {@code count} of a server's sessions, idlest first, on the relay loops. Any thread; must
     * not wait for the loops.
     */
    @FunctionalInterface
    public interface SessionCloser {
        void closeIdlest(Server server, int count);
    }

    private HealthChecker(final EventLoop loop, final SessionCloser closer) {
        this.loop = loop;
        this.closer = closer;
    }

    /** {@link #start(Collection, SessionCloser, Set)} for groups whose drains never close sessions, all TCP. */
    public static HealthChecker start(final Collection<TargetGroup> groups) throws IOException {
        return start(groups, (server, count) -> { }, Set.of());
    }

    /**
     * Starts the health loop and, soon after (with jitter), every group's checks.
     *
     * @param datagramOnly names of the groups that only UDP listeners use: their passive re-probe is a datagram
     */
    public static HealthChecker start(final Collection<TargetGroup> groups, final SessionCloser closer,
                                      final Set<String> datagramOnly) throws IOException {
        final HealthChecker checker = new HealthChecker(new EventLoop(0, "niolb-health"), closer);
        final SplittableRandom random = new SplittableRandom(System.nanoTime());
        for (final TargetGroup group : groups) {
            checker.add(group, datagramOnly.contains(group.name()), random.split());
        }
        checker.loop.execute(checker::startAll);
        checker.loop.start();
        return checker;
    }

    private void add(final TargetGroup group, final boolean datagramOnly, final SplittableRandom random) {
        final HealthCheckConfig config = group.health();
        final CheckSpec health = config.healthCheck();
        final CheckSpec.Agent agent = config.agentCheck();
        for (final Server server : group.snapshot().servers()) {
            checks.put(server, new ServerCheck(loop, server,
                health == null ? null : ActiveCheck.of(health, ActiveCheck.proxyHeaderOf(server)), datagramOnly, config,
                random.split()));
            if (agent != null) {
                agents.add(new AgentPoll(loop, server, agent.port(), config.interval().toMillis(),
                    config.timeout().toMillis(), random.split()));
            }
        }
        // relay loops: one queued command when a server crosses the threshold, then the health loop decides
        group.failureListener((server, failures, why) -> loop.execute(() -> onPassiveFailures(server, failures, why)));
        if (!config.slowStart().isZero()) {
            final SlowStart ramp = new SlowStart(loop, config.slowStart().toMillis());
            ramps.add(ramp);
            group.onRampStart(server -> loop.execute(() -> ramp.add(server)));
        }
        if (!config.drainTimeout().isZero()) {
            final PacedDrain drain = new PacedDrain(loop, closer, config.drainTimeout().toMillis(), config.drainRate());
            drains.add(drain);
            group.onDrainStart(server -> loop.execute(() -> drain.add(server)));
        }
    }

    private void startAll() {
        for (final ServerCheck check : checks.values()) {
            check.start();
        }
        for (final AgentPoll agent : agents) {
            agent.start();
        }
    }

    private void onPassiveFailures(final Server server, final int failures, final String why) {
        final ServerCheck check = checks.get(server);
        if (check != null) {
            check.passiveDown(failures, why);
        }
    }

    /** Stops every check and the health loop; states stay as they are. */
    @Override
    public void close() {
        loop.execute(() -> {
            checks.values().forEach(ServerCheck::stop);
            agents.forEach(AgentPoll::stop);
            ramps.forEach(SlowStart::stop);
            drains.forEach(PacedDrain::stop);
        });
        loop.stop();
        try {
            loop.awaitTermination(LOOP_STOP_TIMEOUT_MS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
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
        private long timerId = org.agrona.DeadlineTimerWheel.NULL_DEADLINE;
        private boolean stopped;

        SlowStart(final EventLoop loop, final long slowStartMs) {
            this.loop = loop;
            this.stepMs = Math.clamp(slowStartMs / 20, 50, 1000);
        }

        void add(final Server server) {
            if (stopped) {
                return;
            }
            if (!ramping.contains(server)) {
                ramping.add(server);
            }
            if (timerId == org.agrona.DeadlineTimerWheel.NULL_DEADLINE) {
                timerId = loop.schedule(loop.nowMs() + stepMs, this);
            }
        }

        void stop() {
            stopped = true;
            loop.cancel(timerId);
        }

        @Override
        public void onTimeout(final long expiredTimerId, final long nowMs) {
            timerId = org.agrona.DeadlineTimerWheel.NULL_DEADLINE;
            final long now = System.nanoTime();
            ramping.removeIf(server -> !server.advanceRamp(now));
            if (!ramping.isEmpty() && !stopped) {
                timerId = loop.schedule(nowMs + stepMs, this);
            }
        }
    }
}
