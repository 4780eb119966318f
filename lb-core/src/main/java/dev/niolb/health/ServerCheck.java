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
 * connect (or, for a server only UDP listeners use, a one-byte datagram: {@link DatagramReprobe}) every interval,
 * at most {@value #MAX_REPROBE_MS} ms apart, for as long as it is DOWN, and brings it UP on the first re-probe
 * that passes.
 *
 * <p>Why no back-off: it used to double the wait up to 30 s, so a server that was away for a minute stayed DOWN
 * up to 30 s after it was back; iperf3's UDP server, which closes its port between two tests, was left DOWN
 * for minutes (issue 14). A re-probe costs what one active check costs, and active checks never back off either.
 *
 * <p>Not threadsafe: owned by the health loop.
 */
final class ServerCheck implements Timeout {
    private static final Logger LOG = LoggerFactory.getLogger(ServerCheck.class);
    /** The longest wait between two re-probes of a DOWN server, whatever the check interval. */
    static final long MAX_REPROBE_MS = 30_000;

    private final EventLoop loop;
    private final Server server;
    private ActiveCheck check; // a re-probe asks as the traffic that failed did: see passiveDown
    private final boolean reprobeOnly;
    private final long intervalMs;
    private final long timeoutMs;
    private final RiseFall riseFall;
    private final SplittableRandom random;
    private final LoopTimer timer;
    /** The last check could not be made (no socket); logged once per run of them. */
    private boolean notMade;
    private boolean running;
    private long startedMs;
    private final long reprobeMs;
    /**
     * Passive DOWNs in a row for UDP flows left unanswered, with no reply from the server between them; and its
     * bytes to clients at the last one. The re-probe cannot tell silence from health (it passes unless port
     * unreachable comes back), so a silent server came back UP every interval and lost three flows each time
     * (black-box testing, session 35: 70 of 100 answered where nginx answered 89): each such DOWN in a row doubles
     * the wait for its re-probe, up to {@link #MAX_REPROBE_MS}.
     */
    private int silentDowns;
    private long bytesAtSilentDown;
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
        this.reprobeMs = Math.min(intervalMs, MAX_REPROBE_MS);
    }

    /**
     * Schedules the first check soon, at a random point within {@code spreadMs} or the first interval, whichever
     * is shorter; without an active check, the first re-probe of a server that is DOWN already. Loop.
     */
    void start(final long spreadMs) {
        if (!reprobeOnly) {
            final long jitter = random.nextLong(Math.min(intervalMs, spreadMs) + 1);
            timer.after(jitter);
        } else if (!server.healthy()) {
            timer.after(reprobeMs);
        }
    }

    void stop() {
        stopped = true;
        timer.cancel();
    }

    @Override
    public void onTimeout(final long nowMs) {
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
        if (result.notMade()) {
            if (!notMade) {
                notMade = true;
                NotMadeLog.notMade(loop.nowMs(), server.label(), result.detail());
            }
            scheduleNext();
            return;
        }
        if (notMade) {
            notMade = false;
            NotMadeLog.madeAgain(loop.nowMs(), server.label());
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
        scheduleNext();
    }

    /** The next check an interval after this one started; a re-probe only while the server is DOWN. */
    private void scheduleNext() {
        if (reprobeOnly) {
            if (!riseFall.up()) {
                timer.at(Math.max(startedMs + reprobeMs, loop.nowMs() + 1)); // the same pace however long it is DOWN
            }
            return;
        }
        timer.at(Math.max(startedMs + intervalMs, loop.nowMs() + 1));
    }

    /** Whether the server has an active check of its own (else passive failures are only re-probed). */
    boolean hasActiveCheck() {
        return !reprobeOnly;
    }

    /**
     * A relay loop saw {@code failures} connects in a row fail: DOWN now, whatever the checks said. Loop.
     *
     * @param datagram the last failure was a UDP flow's: the re-probe asks the same way. A server that TCP and UDP
     *                 listeners share, its TCP port open and its UDP port closed, was taken DOWN by the datagrams,
     *                 UP again by a connect, DOWN again by the next datagrams, every interval (black-box testing,
     *                 session 29)
     */
    void passiveDown(final int failures, final String lastError, final boolean datagram) {
        if (stopped || !server.healthy()) {
            return;
        }
        if (reprobeOnly && !running) {
            check = datagram ? ActiveCheck.datagramReprobe()
                : ActiveCheck.of(new CheckSpec.Tcp(), ActiveCheck.proxyHeaderOf(server));
        }
        riseFall.forceDown();
        final long waitMs = reprobeWait(datagram && lastError.startsWith(SILENCE));
        server.health(false, failedConnects(failures, datagram) + " failed during traffic: "
            + lastError.toLowerCase(java.util.Locale.ROOT) + (waitMs > reprobeMs && reprobeOnly
            ? "; re-probed in " + waitMs / 1000 + " s (a re-probe cannot tell silence from health: each such DOWN in "
            + "a row waits twice as long)" : ""));
        if (reprobeOnly) {
            timer.cancel();
            timer.after(waitMs);
        }
    }

    /** How a passive DOWN for UDP flows left unanswered begins its reason ({@code UdpFlow}'s words). */
    static final String SILENCE = "no reply within";

    /** The wait before the re-probe of a server passive failures just took DOWN; {@code silence}: unanswered flows. */
    private long reprobeWait(final boolean silence) {
        if (!silence) {
            silentDowns = 0;
            return reprobeMs;
        }
        final long bytes = server.counters().bytesFromServer();
        silentDowns = silentDowns > 0 && bytes == bytesAtSilentDown ? silentDowns + 1 : 1;
        bytesAtSilentDown = bytes;
        return Math.min(MAX_REPROBE_MS, reprobeMs << Math.min(silentDowns - 1, 16));
    }

    /** "a connect" or "3 connects in a row" (UDP: flows): passive failures as the log says them. */
    static String failedConnects(final int failures, final boolean datagram) {
        final String what = datagram ? "flow" : "connect";
        return failures == 1 ? "a " + what : failures + " " + what + "s in a row";
    }
}
