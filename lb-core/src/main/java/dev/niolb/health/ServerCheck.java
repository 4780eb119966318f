package dev.niolb.health;

import dev.niolb.config.CheckSpec;
import dev.niolb.config.HealthCheckConfig;
import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopTimer;
import dev.niolb.loop.Timeout;
import dev.niolb.backend.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.SplittableRandom;

/**
 * The health of one server: its active check every interval with rise and fall, and the passive verdicts of
 * the relay loops. Without an active check it re-probes a server that passive detection took DOWN with a plain
 * connect (or, for a server only UDP listeners use, an empty datagram: {@link DatagramReprobe}), backing off from the interval up to {@value #MAX_BACKOFF_MS} ms, and brings it UP on the first
 * connect that succeeds.
 *
 * <p>Not threadsafe: owned by the health loop.
 */
final class ServerCheck implements Timeout {
    private static final Logger LOG = LoggerFactory.getLogger(ServerCheck.class);
    static final long MAX_BACKOFF_MS = 30_000;

    private final EventLoop loop;
    private final Server server;
    private final ActiveCheck check;
    private final boolean reprobeOnly;
    private final long intervalMs;
    private final long timeoutMs;
    private final RiseFall riseFall;
    private final SplittableRandom random;
    private final LoopTimer timer;
    private boolean running;
    private long startedMs;
    private long backoffMs;
    private boolean stopped;

    /**
     * @param check        the active check, or null for a server whose group has none (passive re-probe only)
     * @param datagramOnly only UDP listeners use the server: re-probe it with a datagram, not a TCP connect
     */
    ServerCheck(final EventLoop loop, final Server server, final ActiveCheck check, final boolean datagramOnly,
                final HealthCheckConfig config, final SplittableRandom random) {
        this.loop = loop;
        this.timer = new LoopTimer(loop, this);
        this.server = server;
        this.reprobeOnly = check == null;
        if (check != null) {
            this.check = check;
        } else {
            this.check = datagramOnly ? ActiveCheck.datagramReprobe()
                : ActiveCheck.of(new CheckSpec.Tcp(), ActiveCheck.proxyHeaderOf(server));
        }
        this.intervalMs = config.interval().toMillis();
        this.timeoutMs = config.timeout().toMillis();
        // from the server's state now: checks that restart (a reload, a server back in its group) go on from it
        this.riseFall = new RiseFall(reprobeOnly ? 1 : config.rise(), config.fall(), server.healthy());
        this.random = random;
        this.backoffMs = intervalMs;
    }

    /**
     * Schedules the first check soon, at a random point within the first interval (at most a second); without
     * an active check, the first re-probe of a server that is DOWN already. Loop.
     */
    void start() {
        if (!reprobeOnly) {
            final long jitter = random.nextLong(Math.min(intervalMs, 1000) + 1);
            timer.after(jitter);
        } else if (!server.healthy()) {
            timer.after(backoffMs);
        }
    }

    void stop() {
        stopped = true;
        timer.cancel();
    }

    @Override
    public void onTimeout(final long expiredTimerId, final long nowMs) {
        if (stopped || running) {
            return;
        }
        running = true;
        startedMs = nowMs;
        check.start(loop, server.checkAddress(), timeoutMs, this::onResult);
    }

    private void onResult(final CheckResult result) {
        running = false;
        if (stopped) {
            return;
        }
        server.healthCounters().check(result.passed());
        if (LOG.isDebugEnabled()) {
            LOG.debug("server {}: check {}: {}", server.name(), result.passed() ? "passed" : "failed", result.detail());
        }
        if (riseFall.record(result.passed())) {
            final int n = riseFall.lastFlipCount();
            server.health(riseFall.up(), (reprobeOnly ? "re-probe " : "") + n + (n == 1 ? " check " : " checks ")
                + (result.passed() ? "passed" : "failed") + ": " + result.detail());
        }
        if (reprobeOnly) {
            if (!riseFall.up()) {
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
                timer.after(backoffMs);
            }
            return;
        }
        timer.at(Math.max(startedMs + intervalMs, loop.nowMs() + 1));
    }

    /** Whether the server has an active check of its own (else passive failures are only re-probed). */
    boolean hasActiveCheck() {
        return !reprobeOnly;
    }

    /** A relay loop saw {@code failures} connects in a row fail: DOWN now, whatever the checks said. Loop. */
    void passiveDown(final int failures, final String lastError) {
        if (stopped || !server.healthy()) {
            return;
        }
        riseFall.forceDown();
        server.health(false, failures + " connects in a row failed during traffic: "
            + lastError.toLowerCase(java.util.Locale.ROOT));
        if (reprobeOnly) {
            backoffMs = intervalMs;
            timer.cancel();
            timer.after(backoffMs);
        }
    }
}
