package dev.niolb.cli.systemd;

import dev.niolb.loop.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The heartbeat systemd hears: every tick a {@code STATUS=} line, and {@code WATCHDOG=1} when the unit asks for a
 * watchdog ({@code WatchdogSec=}, which systemd passes as {@code $WATCHDOG_USEC}) and no event loop is wedged. A
 * loop is wedged when it has been in one iteration (a handler, a timer, a command) for half the watchdog interval:
 * an idle loop waits in its poll and is never wedged. The pings then stop and systemd, after the interval,
 * restarts niolb ({@code Restart=on-failure}), which is the point: a wedged loop serves none of its connections
 * and no reload can reach it.
 *
 * <p>Threading: one daemon thread of its own ({@code niolb-systemd}); the loops' heartbeats are read with acquire
 * loads.
 */
public final class SystemdWatchdog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.niolb.run");
    private static final long STATUS_EVERY_MICROS = 5_000_000;
    /** The shortest time between pings: a watchdog this short is a mistake, not a reason to spin. */
    static final long MIN_EVERY_MICROS = 1_000;
    /** A watchdog below it is warned of: a collection or a loaded host's pause could outlast it. */
    static final long SHORT_WATCHDOG_MICROS = 1_000_000;

    private final SystemdNotify notify;
    private final Supplier<List<EventLoop>> loops;
    private final Supplier<String> status;
    private final Runnable eachTick;
    private final long watchdogMicros; // 0: no watchdog, status lines only
    private final ScheduledExecutorService timer;
    private boolean withholding;

    private SystemdWatchdog(final SystemdNotify notify, final Supplier<List<EventLoop>> loops,
                            final Supplier<String> status, final Runnable eachTick, final long watchdogMicros) {
        this.notify = notify;
        this.loops = loops;
        this.status = status;
        this.eachTick = eachTick;
        this.watchdogMicros = watchdogMicros;
        this.timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("niolb-systemd").factory());
    }

    /**
     * Starts the heartbeat when {@code notify} is enabled; does nothing otherwise.
     *
     * @param environment where {@code $WATCHDOG_USEC} and {@code $WATCHDOG_PID} are read
     * @param pid         this process: a {@code $WATCHDOG_PID} naming another means the watchdog is not ours
     * @param loops       the event loops that must keep coming back to their poll (a reload never changes them)
     * @param status      the one line of state, asked each tick
     * @param eachTick    more to tell systemd each tick (the listening sockets to store, when a reload changed them)
     */
    public static SystemdWatchdog start(final SystemdNotify notify, final Map<String, String> environment,
                                        final long pid, final Supplier<List<EventLoop>> loops,
                                        final Supplier<String> status, final Runnable eachTick) {
        final long watchdog = watchdogMicros(environment, pid);
        final SystemdWatchdog w = new SystemdWatchdog(notify, loops, status, eachTick, watchdog);
        if (notify.enabled()) {
            final long every = pingEveryMicros(watchdog);
            w.timer.scheduleAtFixedRate(w::tick, every, every, TimeUnit.MICROSECONDS);
            if (watchdog > 0) {
                LOG.info("systemd watchdog: a ping every {} ms while every event loop is responsive", every / 1000);
            }
            if (watchdog > 0 && watchdog < SHORT_WATCHDOG_MICROS) {
                LOG.warn("systemd watchdog: WatchdogSec= is {} ms: a pause of the JVM or of a loaded host that long "
                    + "gets niolb killed; seconds are usual (the unit gives 30s)", watchdog / 1000.0);
            }
        }
        return w;
    }

    /**
     * How often the tick runs: half the watchdog, at most the status line's interval, and at most once a
     * millisecond (black-box testing, session 30: WATCHDOG_USEC=1000 pinged every 500 µs, logged as "every 0 ms").
     */
    static long pingEveryMicros(final long watchdog) {
        return watchdog > 0 ? Math.max(MIN_EVERY_MICROS, Math.min(STATUS_EVERY_MICROS, watchdog / 2))
            : STATUS_EVERY_MICROS;
    }

    /** {@code $WATCHDOG_USEC} when it is for {@code pid} (or for whoever reads it), else 0. */
    static long watchdogMicros(final Map<String, String> environment, final long pid) {
        final String usec = environment.get("WATCHDOG_USEC");
        final String forPid = environment.get("WATCHDOG_PID");
        try {
            if (usec == null || forPid != null && Long.parseLong(forPid.strip()) != pid) {
                return 0;
            }
            return Math.max(0, Long.parseLong(usec.strip()));
        } catch (final NumberFormatException e) {
            final List<String> bad = new java.util.ArrayList<>();
            for (final String[] v : new String[][] {{"WATCHDOG_USEC", usec}, {"WATCHDOG_PID", forPid}}) {
                if (v[1] != null && !v[1].strip().matches("[0-9]+")) {
                    bad.add(v[0] + "=" + v[1]);
                }
            }
            LOG.warn("systemd watchdog off: {} {} not a number", String.join(" ", bad),
                bad.size() == 1 ? "is" : "are");
            return 0;
        }
    }

    /**
     * The first loop that has been in one iteration for {@code limitNanos} or longer, or whose thread has ended
     * while the engine runs, as a phrase for the log; null when all are responsive.
     */
    static String wedged(final List<EventLoop> loops, final long nowNanos, final long limitNanos) {
        for (final EventLoop loop : loops) {
            final long busy = loop.heartbeat().busyNanos(nowNanos);
            if (busy >= limitNanos) {
                return "event loop " + loop.index() + " has been busy in one iteration for " + busy / 1_000_000 + " ms";
            }
            if (!loop.threadAlive()) {
                return "event loop " + loop.index() + "'s thread has ended";
            }
        }
        return null;
    }

    private void tick() {
        try {
            final String line = status.get();
            if (watchdogMicros > 0) {
                final String wedged = wedged(loops.get(), System.nanoTime(), watchdogMicros * 1000 / 2);
                if (wedged == null) {
                    if (withholding) {
                        withholding = false;
                        LOG.warn("systemd watchdog: every event loop is responsive again; pinging again");
                    }
                    notify.watchdog();
                } else if (!withholding) {
                    withholding = true;
                    LOG.error("systemd watchdog: {}: not pinging, so systemd restarts niolb if it stays so", wedged);
                }
            }
            notify.status(withholding ? "WEDGED: " + line : line);
            eachTick.run();
        } catch (final RuntimeException e) {
            LOG.warn("systemd heartbeat: {}", e.toString());
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
