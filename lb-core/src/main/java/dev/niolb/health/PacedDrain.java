package dev.niolb.health;

import dev.niolb.loop.EventLoop;
import dev.niolb.loop.LoopTimer;
import dev.niolb.loop.Timeout;
import dev.niolb.backend.Server;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/**
 * The paced drain of one group: a server asked to drain ({@link Server#draining()}: DRAIN by the operator or its
 * agent, or removed from its group; failing its checks meanwhile changes nothing) keeps its sessions for the drain
 * timeout; then they are closed at the drain rate, the idlest first, until none is left, so that their clients
 * reconnect to the other servers a few at a time instead of in one storm. A server no longer asked stops its drain.
 *
 * <p>Not threadsafe: owned by the health loop. The closing itself runs on the relay loops (see
 * {@link HealthChecker.SessionCloser}); this class only decides how many per {@value #STEP_MS} ms step.
 */
final class PacedDrain implements Timeout {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.health");
    static final long STEP_MS = 100;
    /** The most time one step credits: a step and a quarter (see {@link #step}). */
    static final long MAX_CREDIT_MS = STEP_MS + STEP_MS / 4;

    private final EventLoop loop;
    private final HealthChecker.SessionCloser closer;
    private final long timeoutMs;
    private final int ratePerSecond;
    private final List<Draining> draining = new ArrayList<>();
    private final LoopTimer timer;
    private boolean stopped;

    /** One server being drained: when closing starts and the fraction of a session owed from earlier steps. */
    private static final class Draining {
        final Server server;
        final long closeFromMs;
        double credit;
        long creditedToMs; // the time the credit counts up to
        boolean announced;

        Draining(final Server server, final long closeFromMs) {
            this.server = server;
            this.closeFromMs = closeFromMs;
        }
    }

    /** @param ratePerSecond sessions closed per second, 0 for all at once */
    PacedDrain(final EventLoop loop, final HealthChecker.SessionCloser closer, final long timeoutMs,
               final int ratePerSecond) {
        this.loop = loop;
        this.timer = new LoopTimer(loop, this);
        this.closer = closer;
        this.timeoutMs = timeoutMs;
        this.ratePerSecond = ratePerSecond;
    }

    void add(final Server server) {
        add(server, null);
    }

    /**
     * A drain was asked for {@code server} just now: taken whatever its mode by the time this runs, so that a
     * drain moved on at once (DRAIN, then MAINT) is still said by the first step.
     */
    void asked(final Server server) {
        if (stopped) {
            return;
        }
        draining.removeIf(d -> d.server == server);
        draining.add(new Draining(server, loop.nowMs() + timeoutMs));
        timer.afterUnlessArmed(STEP_MS);
    }

    /**
     * As {@link #add(Server)}, for a drain that began at {@code startedMs} (loop clock) under an earlier drain of
     * the group, which a reload replaced: its timeout counts from then, not from the reload (a reload that raised
     * the rate of a drain under way paused it for a whole new drain timeout: black-box testing, session 33).
     * Null: it begins now.
     */
    void add(final Server server, final Long startedMs) {
        if (stopped || !server.draining()) {
            return;
        }
        draining.removeIf(d -> d.server == server);
        draining.add(new Draining(server, (startedMs == null ? loop.nowMs() : startedMs) + timeoutMs));
        timer.afterUnlessArmed(STEP_MS);
    }

    /** When each server's drain began (loop clock), for the drain a reload puts in this one's place. */
    java.util.Map<Server, Long> startedAt() {
        final java.util.Map<Server, Long> started = new java.util.IdentityHashMap<>();
        for (final Draining d : draining) {
            started.put(d.server, d.closeFromMs - timeoutMs);
        }
        return started;
    }

    void stop() {
        stopped = true;
        timer.cancel();
    }

    @Override
    public void onTimeout(final long nowMs) {
        draining.removeIf(d -> step(d, nowMs));
        if (!draining.isEmpty() && !stopped) {
            timer.at(nowMs + STEP_MS);
        }
    }

    /** One step for one server; true when its drain is over. */
    private boolean step(final Draining d, final long nowMs) {
        if (!d.server.draining()) {
            // back in service, or in MAINT: its sessions are no longer ours to close. MAINT keeps them, so a drain
            // moved on to MAINT lifts the drain timeout: said, where it went without a word (black-box testing,
            // session 34)
            final long active = d.server.active();
            if (active > 0 && d.server.state() == dev.niolb.backend.ServerState.MAINT) {
                LOG.info("server {} MAINT: its drain timeout no longer applies; its {} {} go on until they end (MAINT "
                    + "keeps sessions; DRAIN again to close them at the drain timeout)", d.server.label(), active,
                    active == 1 ? "session" : "sessions");
            }
            return true;
        }
        final long active = d.server.active();
        if (active == 0) {
            if (d.announced) {
                LOG.info("server {} drained: no sessions left", d.server.label());
            }
            return true;
        }
        if (nowMs < d.closeFromMs) {
            return false;
        }
        if (!d.announced) {
            d.announced = true;
            // the first session goes at the timeout itself, not a step's share of a session later
            d.credit = 1 + 1e-9;
            d.creditedToMs = nowMs;
            LOG.info("server {} DRAIN: drain timeout over, closing its {} sessions {}, idlest first", d.server.label(),
                active, ratePerSecond == 0 ? "at once" : "at " + ratePerSecond + "/s");
        }
        final int count;
        if (ratePerSecond == 0) {
            count = Integer.MAX_VALUE;
        } else {
            // by the time that passed, not by the steps: a step comes a timer tick or so after its 100 ms, and
            // counting 100 ms a step ran the drain 4 % slow (black-box testing, session 33: 9.6/s at 10/s). At most
            // a step and a quarter, though: a health loop held up for a while (a loaded machine) then caught up in
            // one burst, the storm a paced drain is there to prevent (six closes at 10/s came within 235 ms)
            d.credit += ratePerSecond * Math.min(nowMs - d.creditedToMs, MAX_CREDIT_MS) / 1000.0;
            d.creditedToMs = nowMs;
            count = (int) Math.min(d.credit, active);
            d.credit -= count;
        }
        if (count > 0) {
            closer.closeIdlest(d.server, count, dev.niolb.session.Termination.DRAINED);
        }
        return false;
    }
}
